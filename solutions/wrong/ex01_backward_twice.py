# expect: accumulated
# check: x_tensor.grad
"""Calls y.backward() twice (keeping the graph), so .grad holds twice dy/dx."""
import torch


def first_gradient(x):
    x_tensor = torch.tensor(x, requires_grad=True)
    y = 3 * x_tensor**2 + 4 * x_tensor + 2
    y.backward(retain_graph=True)
    y.backward()
    return x_tensor, y
