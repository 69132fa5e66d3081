# expect: scaled
# check: x.grad
"""Computes the count in closed form but rounds down: one doubling too few on every trial."""
import math

import torch


def vector_jacobian(x, v):
    y = x * 3
    k = int(math.log2(1000 / y.data.norm().item()))  # floor, where the loop needs the ceiling
    for _ in range(k):
        y = y * 2
    y.backward(v)
    return y
