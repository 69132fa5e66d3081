# expect: accumulated
# check: losses
"""Uses torch.optim.SGD but never calls optimizer.zero_grad(): the gradients still accumulate."""
import torch


def train_linear(w, b, x, y, lr, steps):
    optimizer = torch.optim.SGD([w, b], lr=lr)
    losses = []
    for _ in range(steps):
        loss = ((x @ w + b - y) ** 2).mean()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses
