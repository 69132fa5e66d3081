# expect: grad-of-x
# check: gw
"""w and b read from the enclosing scope: grad differentiates with respect to xi instead."""
import torch
from torch.func import grad, vmap


def per_sample_grads(w, b, x, y):
    def loss(xi, yi):
        return (xi @ w + b - yi) ** 2

    gw = vmap(grad(loss))(x, y)
    gb = vmap(grad(lambda bb, xi, yi: (xi @ w + bb - yi) ** 2), in_dims=(None, 0, 0))(b, x, y)
    return gw, gb
