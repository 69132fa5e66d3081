# expect: unchanged
# check: w
"""Rebinds the names to fresh tensors each step: the training is right, but the caller's w and b never change."""
import torch


def train_linear(w, b, x, y, lr, steps):
    losses = []
    for _ in range(steps):
        loss = ((x @ w + b - y) ** 2).mean()
        loss.backward()
        w = (w - lr * w.grad).detach().requires_grad_()
        b = (b - lr * b.grad).detach().requires_grad_()
        losses.append(loss.item())
    return losses
