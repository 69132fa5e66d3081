# expect: value
# check: w.grad stays None
"""Right per-sample gradients, then a backward() on the total loss 'to check them', which fills w.grad and b.grad."""
import torch
from torch.func import grad, vmap


def per_sample_grads(w, b, x, y):
    def loss(w, b, xi, yi):
        return (xi @ w + b - yi) ** 2

    gw, gb = vmap(grad(loss, argnums=(0, 1)), in_dims=(None, None, 0, 0))(w, b, x, y)
    ((x @ w + b - y) ** 2).sum().backward()
    assert torch.allclose(w.grad, gw.sum(0), atol=1e-4)
    return gw, gb
