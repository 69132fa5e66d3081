"""A second style: keep the in-place doubling, but on a clone, so the tensor sigmoid saved is never written."""

import torch


def fixed_layer(x, w):
    s = torch.sigmoid(x @ w)
    h = s.clone()
    h *= 2
    loss = h.sum()
    (grad,) = torch.autograd.grad(loss, w)
    w.grad = grad
    return h, loss
