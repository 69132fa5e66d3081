# expect: missing_grad
# check: x.grad
"""Uses torch.autograd.grad, which returns the vector-Jacobian product but leaves x.grad empty."""
import torch


def vector_jacobian(x, v):
    y = x * 3
    while y.data.norm() < 1000:
        y = y * 2
    (vjp,) = torch.autograd.grad(y, x, v)
    return y
