# expect: torch-exp-node
# check: grad_fn
"""Overrides apply to return torch.exp(x): the gradient is right, but autograd uses torch's node, never this backward."""
import torch


class Exp(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return torch.exp(x)

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output * torch.exp(ctx.x)

    @staticmethod
    def apply(x):
        return torch.exp(x)
