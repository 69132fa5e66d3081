"""The bundled course's own fixtures (beside config.yaml): inputs the built-in ones do not cover."""

import torch
from torch import nn


def mlp_with_stale_grads():
    """Linear(4, 8) -> Tanh -> Linear(8, 1), every parameter's .grad already holding a leftover gradient.

    Built under the trial's seed like any fixture, so the leftovers are the same for the student and the reference;
    a training step that does not clear them first adds the new gradient to them (ex16).
    """
    model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 1))
    for param in model.parameters():
        param.grad = torch.randn_like(param)
    return model
