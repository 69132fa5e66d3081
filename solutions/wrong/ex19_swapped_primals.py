# expect: swapped-primals
"""The point and the direction passed in the wrong order."""
import torch


def forward_jvp(A, x, v):
    f = lambda x: A @ torch.tanh(x)
    return torch.func.jvp(f, (v,), (x,))
