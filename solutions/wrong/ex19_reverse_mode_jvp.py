# expect: rule
"""torch.autograd.functional.jvp: the right numbers, but computed with two backward passes, not forward mode."""
import torch


def forward_jvp(A, x, v):
    return torch.autograd.functional.jvp(lambda x: A @ torch.tanh(x), x, v)
