"""torch.func.linearize: the forward pass once, then a function that pushes any tangent through it."""
from torch.func import linearize
import torch


def forward_jvp(A, x, v):
    y, jvp_fn = linearize(lambda x: A @ torch.tanh(x), x)
    return y, jvp_fn(v)
