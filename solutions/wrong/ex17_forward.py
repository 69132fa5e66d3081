# expect: forward-differences
# check: g
"""One-sided differences: f(x + h e_i) against f(x), divided by h."""
import torch


def numerical_gradient(f, x, h):
    f_x = f(x)
    g = torch.empty_like(x)
    for i in range(len(x)):
        xp = x.clone()
        xp[i] += h
        g[i] = (f(xp) - f_x) / h
    return g
