# expect: rule
"""The Hessian-vector product worked out on paper: right, but no autograd."""
import torch


def hvp(x, v):
    with torch.no_grad():
        return 12 * x**2 * v + 4 * (x @ x) * v + 8 * (x @ v) * x
