# expect: accumulated
# check: w
"""The starter's bug left in: .grad is never cleared, so each update uses the sum of all gradients so far."""
import torch


def train_linear(w, b, x, y, lr, steps):
    losses = []
    for _ in range(steps):
        loss = ((x @ w + b - y) ** 2).mean()
        loss.backward()
        with torch.no_grad():
            w -= lr * w.grad
            b -= lr * b.grad
        losses.append(loss.item())
    return losses
