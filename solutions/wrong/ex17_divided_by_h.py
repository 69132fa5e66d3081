# expect: divided-by-h
# check: g
"""Central differences, but divided by h: the two points are 2h apart."""
import torch


def numerical_gradient(f, x, h):
    g = torch.empty_like(x)
    for i in range(len(x)):
        xp, xm = x.clone(), x.clone()
        xp[i] += h
        xm[i] -= h
        g[i] = (f(xp) - f(xm)) / h
    return g
