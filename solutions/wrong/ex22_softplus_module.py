# expect: rule
"""The nn.Softplus module: the same function as F.softplus."""
from torch import nn


def stable_softplus(x):
    return nn.Softplus()(x)
