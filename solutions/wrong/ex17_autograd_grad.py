# expect: used_autograd
# check: no autograd
"""Central differences done right, plus a torch.autograd.grad call 'to compare': autograd ran all the same."""
import torch


def numerical_gradient(f, x, h):
    g = torch.zeros_like(x)
    for i in range(len(x)):
        xp, xm = x.clone(), x.clone()
        xp[i] += h
        xm[i] -= h
        g[i] = (f(xp) - f(xm)) / (2 * h)
    xg = x.clone().requires_grad_(True)
    (exact,) = torch.autograd.grad(f(xg), xg)
    print("largest difference from autograd:", (g - exact).abs().max().item())
    return g
