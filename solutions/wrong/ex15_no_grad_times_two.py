# expect: in-place-on-saved-output
"""Wraps the doubling in torch.no_grad(): the write is still in place on the saved tensor, and backward() raises."""
import torch


def fixed_layer(x, w):
    h = torch.sigmoid(x @ w)
    with torch.no_grad():
        h *= 2
    loss = h.sum()
    loss.backward()
    return h, loss
