# expect: scaled
# check: y.grad
"""Back-propagates from z with a gradient of ones (the gradient of z.sum()) instead of from out = z.mean()."""
import torch


def intermediate_grad(x):
    y = x + 2
    z = y * y * 2
    out = z.mean()
    y.retain_grad()
    z.backward(torch.ones_like(z))
    return y, out
