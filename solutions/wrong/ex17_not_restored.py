# expect: left-perturbed
# check: x unchanged
"""Perturbs x in place, +h then -2h, and forgets to put each element back."""
import torch


def numerical_gradient(f, x, h):
    g = torch.zeros_like(x)
    for i in range(x.numel()):
        x[i] += h
        f_plus = f(x)
        x[i] -= 2 * h
        f_minus = f(x)
        g[i] = (f_plus - f_minus) / (2 * h)
    return g
