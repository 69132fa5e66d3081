# expect: shape
# check: head shape
"""Copies the tutorial's two-class head, nn.Linear(in_features, 2), ignoring num_classes."""
import torch
from torch import nn


def freeze_backbone(model, num_classes):
    for param in model.parameters():
        param.requires_grad = False
    model.fc = nn.Linear(model.fc.in_features, 2)
    optimizer = torch.optim.SGD(model.fc.parameters(), lr=1e-2, momentum=0.9)
    return model, optimizer
