# expect: value
# check: optimizer
"""Freezes and replaces the head correctly, but trains it with Adam instead of SGD with momentum."""
import torch
from torch import nn


def freeze_backbone(model, num_classes):
    for p in model.parameters():
        p.requires_grad_(False)
    model.fc = nn.Linear(model.fc.in_features, num_classes)
    return model, torch.optim.Adam(model.fc.parameters(), lr=1e-2)
