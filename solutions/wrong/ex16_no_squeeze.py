# expect: no-squeeze
# check: loss
"""Compares the (n, 1) output with the (n,) targets: broadcasting averages an (n, n) table."""
import torch


def clipped_step(model, x, y, lr, max_norm):
    model.zero_grad()
    loss = ((model(x) - y) ** 2).mean()
    loss.backward()
    total_norm = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)
    with torch.no_grad():
        for p in model.parameters():
            p -= lr * p.grad
    return loss, total_norm
