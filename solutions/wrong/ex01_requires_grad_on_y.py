# expect: missing_grad
# check: x_tensor.grad
"""Silences backward()'s error by switching requires_grad on for y instead of x_tensor: x_tensor gets no gradient."""
import torch


def first_gradient(x):
    x_tensor = torch.tensor(x)
    y = 3 * x_tensor**2 + 4 * x_tensor + 2
    y.requires_grad_(True)
    y.backward()
    return x_tensor, y
