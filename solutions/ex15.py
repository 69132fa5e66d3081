"""Reference answer for ex15: the doubling makes a new tensor, so sigmoid's saved output stays intact."""

import torch


def fixed_layer(x: torch.Tensor, w: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    h = 2 * torch.sigmoid(x @ w)
    loss = h.sum()
    loss.backward()
    return h, loss
