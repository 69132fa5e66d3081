# expect: no-create-graph
import torch


def second_derivative(x):
    y = x**3 + 2 * x**2
    dy = torch.autograd.grad(y.sum(), x)[0]
    d2y = torch.autograd.grad(dy.sum(), x)[0]
    return dy, d2y
