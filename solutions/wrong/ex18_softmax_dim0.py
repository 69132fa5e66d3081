# expect: softmax-over-batch
# check: g
"""Writes the softmax with sum(dim=0): each column is normalized over the batch instead of each row over classes."""
import torch


def softmax_ce_grad(logits, target):
    n = logits.shape[0]
    e = torch.exp(logits)
    p = e / e.sum(dim=0)
    p[torch.arange(n), target] -= 1
    return p / n
