# expect: grad_fn
# check: loss.grad_fn
"""Applies the sigmoid itself, then the probability version of the loss (BinaryCrossEntropyBackward0)."""
import torch
import torch.nn.functional as F


def logistic_layer(x, y, w, b):
    z = x @ w + b
    loss = F.binary_cross_entropy(torch.sigmoid(z), y)
    loss.backward()
    return z, loss
