# expect: requires_grad
# check: x gets no gradient
"""Switches requires_grad on for the input x 'to be safe': x gets a gradient it should not have."""
import torch.nn.functional as F


def logistic_layer(x, y, w, b):
    x.requires_grad = True
    z = x @ w + b
    loss = F.binary_cross_entropy_with_logits(z, y)
    loss.backward()
    return z, loss
