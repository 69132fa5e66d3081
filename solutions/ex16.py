"""Reference answer for ex16: zero, forward, backward, clip, then a manual SGD update."""

import torch
import torch.nn.functional as F
from torch import nn


def clipped_step(model: nn.Module, x: torch.Tensor, y: torch.Tensor, lr: float,
                 max_norm: float) -> tuple[torch.Tensor, torch.Tensor]:
    model.zero_grad()
    loss = F.mse_loss(model(x).squeeze(-1), y)
    loss.backward()
    total_norm = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)
    with torch.no_grad():
        for p in model.parameters():
            p -= lr * p.grad
    return loss, total_norm
