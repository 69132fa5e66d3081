# expect: sign
# check: b.grad
"""Adds b² instead of subtracting it."""
import torch


def q_backward(a, b):
    Q = 3 * a**3 + b**2
    Q.backward(torch.ones_like(Q))
    return Q
