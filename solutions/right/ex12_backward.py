"""backward(create_graph=True) instead of torch.autograd.grad: dy is taken out of x.grad before the second pass."""
import torch


def second_derivative(x):
    y = x**3 + 2 * x**2
    y.sum().backward(create_graph=True)
    dy = x.grad
    x.grad = None  # the second backward() would otherwise add d2y to dy
    dy.sum().backward()
    d2y = x.grad
    x.grad = None
    return dy, d2y
