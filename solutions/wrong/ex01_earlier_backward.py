# expect: accumulated
# check: x_tensor.grad
"""Runs an earlier backward() on the same leaf without clearing .grad: at x = 3 it reads 28, not 22."""
import torch


def first_gradient(x):
    x_tensor = torch.tensor(x, requires_grad=True)
    (x_tensor**2).backward()  # a first experiment, left in: puts 2x into x_tensor.grad
    y = 3 * x_tensor**2 + 4 * x_tensor + 2
    y.backward()
    return x_tensor, y
