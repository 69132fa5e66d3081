# attack: ex05's losses kept as one-element tensors (losses.append(loss)) where the contract says Python floats
# exercise: ex05
# expect-status: failed
# expect-score: 7
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
        losses.append(loss)
    return losses
