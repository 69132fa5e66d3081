# expect: rule
"""Builds the whole Hessian, then multiplies: right numbers, n² memory."""
import torch


def hvp(x, v):
    H = torch.autograd.functional.hessian(lambda x: (x**4).sum() + (x @ x) ** 2, x)
    return H @ v
