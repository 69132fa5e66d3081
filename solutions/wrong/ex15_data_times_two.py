# expect: data-hides-the-change
# check: w.grad
"""Silences the error by doubling through .data: no exception, but sigmoid's backward reads the doubled tensor."""
import torch


def fixed_layer(x, w):
    h = torch.sigmoid(x @ w)
    h.data *= 2
    loss = h.sum()
    loss.backward()
    return h, loss
