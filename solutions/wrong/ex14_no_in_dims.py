# expect: mapped-parameters
import torch
from torch.func import grad, vmap


def per_sample_grads(w, b, x, y):
    def loss(w, b, xi, yi):
        return (xi @ w + b - yi) ** 2

    return vmap(grad(loss, argnums=(0, 1)))(w, b, x, y)
