# expect: batch-gradient
"""vmap and grad in the wrong order: vmap maps the loss over the samples, then grad differentiates their sum."""
import torch
from torch.func import grad, vmap


def per_sample_grads(w, b, x, y):
    def loss(w, b, xi, yi):
        return (xi @ w + b - yi) ** 2

    def total(w, b):
        return vmap(loss, in_dims=(None, None, 0, 0))(w, b, x, y).sum()

    return grad(total, argnums=(0, 1))(w, b)
