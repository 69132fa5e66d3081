# expect: requires_grad
# check: z_nograd.requires_grad
"""Computes z_nograd outside torch.no_grad(), so it is still tracked."""


def stop_tracking(x, w, b):
    z = x @ w + b
    z_nograd = x @ w + b
    z_det = z.detach()
    return z, z_nograd, z_det
