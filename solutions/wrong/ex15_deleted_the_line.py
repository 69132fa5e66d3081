# expect: dropped-the-doubling
# check: h
"""Deletes the offending h *= 2: the error is gone, and so is the factor 2 of the layer."""
import torch


def fixed_layer(x, w):
    h = torch.sigmoid(x @ w)
    loss = h.sum()
    loss.backward()
    return h, loss
