# expect: rule
"""A Python loop with backward(): right numbers, no vmap, and w.grad and b.grad filled as a side effect."""
import torch


def per_sample_grads(w, b, x, y):
    gws, gbs = [], []
    for xi, yi in zip(x, y):
        w.grad, b.grad = None, None
        ((xi @ w + b - yi) ** 2).backward()
        gws.append(w.grad.clone())
        gbs.append(b.grad.clone())
    return torch.stack(gws), torch.stack(gbs)
