# expect: frozen
# check: backbone frozen
"""Replaces the head and optimizes everything, but never freezes the backbone: the whole network trains."""
import torch
from torch import nn


def freeze_backbone(model, num_classes):
    model.fc = nn.Linear(model.fc.in_features, num_classes)
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-2, momentum=0.9)
    return model, optimizer
