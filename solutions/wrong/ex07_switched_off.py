# expect: mutated_input
# check: w untouched
"""Stops tracking by switching the weights off in place: w and b no longer require grad afterwards."""


def stop_tracking(x, w, b):
    z = x @ w + b
    w.requires_grad_(False)
    b.requires_grad_(False)
    z_nograd = x @ w + b
    z_det = z.detach()
    return z, z_nograd, z_det
