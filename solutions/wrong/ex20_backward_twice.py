# expect: accumulated-grad
"""backward() twice: the second adds H @ v into the x.grad the first filled."""
import torch


def hvp(x, v):
    f = (x**4).sum() + (x @ x) ** 2
    f.backward(create_graph=True)
    (x.grad * v).sum().backward()
    return x.grad
