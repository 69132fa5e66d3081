# expect: no-create-graph
"""The first gradient without create_graph=True."""
import torch


def hvp(x, v):
    f = (x**4).sum() + (x @ x) ** 2
    (g,) = torch.autograd.grad(f, x)
    (hv,) = torch.autograd.grad((g * v).sum(), x)
    return hv
