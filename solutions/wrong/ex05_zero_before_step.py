# expect: unchanged
# check: losses
"""Calls optimizer.zero_grad() between backward() and step(): every step moves by zero."""
import torch


def train_linear(w, b, x, y, lr, steps):
    optimizer = torch.optim.SGD([w, b], lr=lr)
    losses = []
    for _ in range(steps):
        loss = ((x @ w + b - y) ** 2).mean()
        loss.backward()
        optimizer.zero_grad()
        optimizer.step()
        losses.append(loss.item())
    return losses
