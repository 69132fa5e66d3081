# expect: frozen
# check: head trainable
"""Replaces the head first and freezes afterwards, so the new head is frozen too."""
import torch
from torch import nn


def freeze_backbone(model, num_classes):
    model.fc = nn.Linear(model.fc.in_features, num_classes)
    for param in model.parameters():
        param.requires_grad = False
    optimizer = torch.optim.SGD(model.fc.parameters(), lr=1e-2, momentum=0.9)
    return model, optimizer
