"""A second style: the rows of h·I are the steps; x itself is never written."""

import torch


def numerical_gradient(f, x, h):
    steps = h * torch.eye(x.shape[0], dtype=x.dtype)
    return torch.stack([(f(x + step) - f(x - step)) / (2 * h) for step in steps])
