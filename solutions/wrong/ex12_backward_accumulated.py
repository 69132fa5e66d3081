# expect: backward-accumulated
# check: d2y
"""Two backward() calls into the same x.grad: the second adds d2y onto dy."""
import torch


def second_derivative(x):
    y = x**3 + 2 * x**2
    y.sum().backward(create_graph=True)
    dy = x.grad.clone()
    dy.sum().backward()
    d2y = x.grad
    return dy, d2y
