# expect: type
# check: losses
"""Records each loss as a one-element tensor (losses.append(loss)) where the exercise asks for Python floats."""
import torch


def train_linear(w, b, x, y, lr, steps):
    losses = []
    for _ in range(steps):
        loss = ((x @ w + b - y) ** 2).mean()
        loss.backward()
        with torch.no_grad():
            w -= lr * w.grad
            b -= lr * b.grad
        w.grad.zero_()
        b.grad.zero_()
        losses.append(loss.detach())
    return losses
