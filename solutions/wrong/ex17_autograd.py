# expect: exact-gradient
# check: g
"""Asks autograd for the gradient instead of estimating it: the exact gradient, and not what was asked."""
import torch


def numerical_gradient(f, x, h):
    xg = x.detach().clone().requires_grad_(True)
    f(xg).backward()
    return xg.grad
