# expect: value
# check: x.grad
"""Defines forward only, trusting torch.exp to differentiate itself: inside a Function it does not."""
import torch


class Exp(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return torch.exp(x)
