# expect: zeroed-after-backward
"""Puts optimizer.zero_grad() just before the clipping and the step, as 'clear, then step': the gradients are gone."""
import torch
import torch.nn.functional as F


def clipped_step(model, x, y, lr, max_norm):
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    loss = F.mse_loss(model(x).squeeze(-1), y)
    loss.backward()
    optimizer.zero_grad(set_to_none=False)
    total_norm = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)
    optimizer.step()
    return loss, total_norm
