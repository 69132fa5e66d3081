import torch
import torch.nn.functional as F


def logistic_layer(x, y, w, b):
    z = x @ w + b
    loss = F.binary_cross_entropy_with_logits(z, y, reduction="none")
    loss.backward()
    return z, loss
