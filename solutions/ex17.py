"""Reference answer for ex17: perturb x in place one coordinate at a time, and put it back."""

from typing import Callable

import torch


def numerical_gradient(f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, h: float) -> torch.Tensor:
    g = torch.zeros_like(x)
    for i in range(x.numel()):
        x[i] += h
        f_plus = f(x)
        x[i] -= 2 * h
        f_minus = f(x)
        x[i] += h  # back to where it was
        g[i] = (f_plus - f_minus) / (2 * h)
    return g
