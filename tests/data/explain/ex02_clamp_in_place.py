import torch


def logistic_layer(x, y, w, b):
    z = x @ w + b
    p = torch.sigmoid(z)
    p.clamp_(1e-7, 1 - 1e-7)  # keep log() away from 0
    loss = -(y * torch.log(p) + (1 - y) * torch.log(1 - p)).mean()
    loss.backward()
    return z, loss
