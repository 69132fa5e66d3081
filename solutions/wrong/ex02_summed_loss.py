# expect: scaled
# check: w.grad
"""Sums the loss over the outputs instead of averaging: loss and gradients are 3x too large."""
import torch.nn.functional as F


def logistic_layer(x, y, w, b):
    z = x @ w + b
    loss = F.binary_cross_entropy_with_logits(z, y, reduction="sum")
    loss.backward()
    return z, loss
