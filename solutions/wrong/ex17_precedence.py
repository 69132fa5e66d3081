# expect: precedence
# check: g
"""Writes / 2 * h, which divides by 2 and multiplies by h."""
import torch


def numerical_gradient(f, x, h):
    g = torch.empty_like(x)
    for i in range(len(x)):
        xp, xm = x.clone(), x.clone()
        xp[i] += h
        xm[i] -= h
        g[i] = (f(xp) - f(xm)) / 2 * h
    return g
