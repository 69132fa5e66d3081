# expect: grad_fn
# check: loss.grad_fn
"""Hand-written log loss as -(...).mean(): the minus applies last, so the graph ends in NegBackward0."""
import torch


def logistic_layer(x, y, w, b):
    z = x @ w + b
    p = 1 / (1 + torch.exp(-z))
    loss = -(y * torch.log(p) + (1 - y) * torch.log(1 - p)).mean()
    loss.backward()
    return z, loss
