"""A second style: a numerically stable softmax written out, and 1 subtracted at each row's class by indexing."""

import torch


def softmax_ce_grad(logits, target):
    n = logits.shape[0]
    shifted = logits - logits.max(dim=1, keepdim=True).values  # exp never overflows
    p = shifted.exp()
    p = p / p.sum(dim=1, keepdim=True)
    p[torch.arange(n), target] -= 1
    return p / n
