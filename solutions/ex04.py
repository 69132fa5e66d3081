"""Reference answer for ex04: a vector-Jacobian product through a data-dependent loop."""

import torch


def vector_jacobian(x: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    y = x * 3
    while y.data.norm() < 1000:
        y = y * 2
    y.backward(v)
    return y
