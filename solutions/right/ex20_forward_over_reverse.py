"""Forward-over-reverse: the tangent v pushed in forward mode through the gradient function."""
import torch
from torch.func import grad, jvp


def f(x):
    return (x**4).sum() + (x @ x) ** 2


def hvp(x, v):
    _, hv = jvp(grad(f), (x.detach(),), (v,))
    return hv
