# expect: rule
"""The derivative of tanh written by hand: right values, no forward mode at all."""
import torch


def forward_jvp(A, x, v):
    t = torch.tanh(x)
    return A @ t, A @ ((1 - t**2) * v)
