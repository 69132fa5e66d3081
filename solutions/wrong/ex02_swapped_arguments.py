# expect: value
# check: loss
"""Passes the targets first and the logits second."""
import torch.nn.functional as F


def logistic_layer(x, y, w, b):
    z = x @ w + b
    loss = F.binary_cross_entropy_with_logits(y, z)
    loss.backward()
    return z, loss
