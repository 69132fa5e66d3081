# expect: no-mean
# check: g
"""Forgets that the loss is a mean: the gradient of the summed loss, n times too large."""
import torch
import torch.nn.functional as F


def softmax_ce_grad(logits, target):
    probs = torch.softmax(logits, dim=-1)
    return probs - F.one_hot(target, num_classes=logits.shape[1])
