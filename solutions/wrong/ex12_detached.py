# expect: no-create-graph
"""detach() cuts dy off its graph, exactly like forgetting create_graph."""
import torch


def second_derivative(x):
    y = x**3 + 2 * x**2
    (dy,) = torch.autograd.grad(y.sum(), x, create_graph=True)
    dy = dy.detach()
    (d2y,) = torch.autograd.grad(dy.sum(), x)
    return dy, d2y
