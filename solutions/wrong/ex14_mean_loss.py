# expect: mean-loss
"""Divides each sample's loss by the batch size, out of the habit of mean squared error."""
import torch
from torch.func import grad, vmap


def per_sample_grads(w, b, x, y):
    n = len(y)

    def loss(w, b, xi, yi):
        return ((xi @ w + b - yi) ** 2) / n

    return vmap(grad(loss, argnums=(0, 1)), in_dims=(None, None, 0, 0))(w, b, x, y)
