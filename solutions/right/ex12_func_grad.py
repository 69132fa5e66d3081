"""torch.func: grad of a scalar function of one element, vmapped over x; grad(grad(f)) for the second derivative."""
import torch
from torch.func import grad, vmap


def f(xi):
    return xi**3 + 2 * xi**2


def second_derivative(x):
    dy = vmap(grad(f))(x)
    d2y = vmap(grad(grad(f)))(x)
    return dy, d2y
