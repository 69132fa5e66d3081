# expect: grad_fn
# check: z.grad_fn
"""Computes the logits with F.linear: the same numbers, but z.grad_fn is ViewBackward0, not AddBackward0."""
import torch.nn.functional as F


def logistic_layer(x, y, w, b):
    z = F.linear(x, w.T, b)
    loss = F.binary_cross_entropy_with_logits(z, y)
    loss.backward()
    return z, loss
