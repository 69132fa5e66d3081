"""Reference answer for ex05: a training loop that clears the gradients after each update."""

import torch


def train_linear(w: torch.Tensor, b: torch.Tensor, x: torch.Tensor, y: torch.Tensor,
                 lr: float, steps: int) -> list[float]:
    losses = []
    for _ in range(steps):
        loss = ((x @ w + b - y) ** 2).mean()
        loss.backward()
        with torch.no_grad():
            w -= lr * w.grad
            b -= lr * b.grad
        w.grad.zero_()
        b.grad.zero_()
        losses.append(loss.item())
    return losses
