# expect: column-indexing
# check: g
"""Subtracts the one-hot with p[:, target] -= 1, which hits the target columns in every row."""
import torch


def softmax_ce_grad(logits, target):
    p = torch.softmax(logits, dim=1)
    p[:, target] -= 1
    return p / len(logits)
