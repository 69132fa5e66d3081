"""Reference answer for ex07: stop tracking with torch.no_grad() and detach()."""

import torch


def stop_tracking(x: torch.Tensor, w: torch.Tensor, b: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    z = x @ w + b
    with torch.no_grad():
        z_nograd = x @ w + b
    z_det = z.detach()
    return z, z_nograd, z_det
