"""Reference answer for ex01: the gradient of y = 3x² + 4x + 2."""

import torch


def first_gradient(x: float) -> tuple[torch.Tensor, torch.Tensor]:
    x_tensor = torch.tensor(x, requires_grad=True)
    y = 3 * x_tensor**2 + 4 * x_tensor + 2
    y.backward()
    return x_tensor, y
