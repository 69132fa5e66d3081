# expect: forgot-v
"""Differentiates g.sum(): the Hessian's row sums, v never used."""
import torch


def hvp(x, v):
    f = (x**4).sum() + (x @ x) ** 2
    f.backward(create_graph=True)
    g = x.grad
    hv = torch.autograd.grad(g.sum(), x)[0]
    return hv
