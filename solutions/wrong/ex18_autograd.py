# expect: used_autograd
# check: no autograd
"""Lets autograd differentiate F.cross_entropy: the right numbers, but not by hand."""
import torch
import torch.nn.functional as F


def softmax_ce_grad(logits, target):
    logits = logits.detach().clone().requires_grad_(True)
    F.cross_entropy(logits, target).backward()
    return logits.grad
