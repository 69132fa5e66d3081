# expect: in-place-on-saved-output
"""The starter handed in as it is: h *= 2 overwrites sigmoid's saved output, and backward() raises."""
import torch


def fixed_layer(x, w):
    h = torch.sigmoid(x @ w)
    h *= 2
    loss = h.sum()
    loss.backward()
    return h, loss
