# expect: naive
"""The textbook formula: exp overflows for x > 88.7."""
import torch


def stable_softplus(x):
    return torch.log(1 + torch.exp(x))
