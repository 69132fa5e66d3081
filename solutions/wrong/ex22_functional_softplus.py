# expect: rule
"""torch's own softplus: stable, but the exercise is to build it."""
import torch.nn.functional as F


def stable_softplus(x):
    return F.softplus(x)
