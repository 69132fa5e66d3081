"""Reference answer for ex10: keep the gradient of an intermediate tensor with retain_grad()."""

import torch


def intermediate_grad(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    y = x + 2
    z = y * y * 2
    out = z.mean()
    y.retain_grad()  # before backward(): y is not a leaf, so its .grad is kept only on request
    out.backward()
    return y, out
