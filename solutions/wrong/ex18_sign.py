# expect: onehot-minus-softmax
# check: g
"""Differentiates log-likelihood instead of the negative log-likelihood: the sign is flipped."""
import torch
import torch.nn.functional as F


def softmax_ce_grad(logits, target):
    n, c = logits.shape
    return (F.one_hot(target, c) - F.softmax(logits, dim=1)) / n
