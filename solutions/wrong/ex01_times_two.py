# expect: value
# check: x_tensor.grad
"""Writes x * 2 where x**2 was meant: y = 10x + 2, whose gradient is a constant 10."""
import torch


def first_gradient(x):
    x_tensor = torch.tensor(x, requires_grad=True)
    y = 3 * x_tensor * 2 + 4 * x_tensor + 2
    y.backward()
    return x_tensor, y
