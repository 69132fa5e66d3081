import torch


def stable_softplus(x):
    # log(1 + e^x) = max(x, 0) + log(1 + e^-|x|): exp only ever sees a number <= 0
    return torch.clamp(x, min=0) + torch.log1p(torch.exp(-x.abs()))
