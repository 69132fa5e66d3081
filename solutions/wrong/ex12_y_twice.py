# expect: differentiated-y-twice
# check: d2y
import torch


def second_derivative(x):
    y = x**3 + 2 * x**2
    dy, = torch.autograd.grad(y.sum(), x, create_graph=True)
    d2y, = torch.autograd.grad(y.sum(), x, retain_graph=True)
    return dy, d2y
