# expect: requires_grad
# check: z.requires_grad
"""Uses detach_() (in place): z itself is cut off from the graph, not just z_det."""
import torch


def stop_tracking(x, w, b):
    z = x @ w + b
    with torch.no_grad():
        z_nograd = x @ w + b
    z_det = z.detach_()
    return z, z_nograd, z_det
