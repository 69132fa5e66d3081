# expect: requires_grad
# check: z.requires_grad
"""Computes everything under torch.no_grad(), so z is not tracked either."""
import torch


def stop_tracking(x, w, b):
    with torch.no_grad():
        z = x @ w + b
        z_nograd = x @ w + b
        z_det = z.detach()
    return z, z_nograd, z_det
