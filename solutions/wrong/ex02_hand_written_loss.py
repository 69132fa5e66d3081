# expect: grad_fn
# check: loss.grad_fn
"""Writes the sigmoid and the log loss by hand: nearly the same numbers, a different graph (MeanBackward0)."""
import torch


def logistic_layer(x, y, w, b):
    z = torch.matmul(x, w) + b
    p = torch.sigmoid(z)
    loss = torch.mean(-(y * torch.log(p) + (1 - y) * torch.log(1 - p)))
    loss.backward()
    return z, loss
