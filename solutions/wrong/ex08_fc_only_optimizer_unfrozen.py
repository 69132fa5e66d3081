# expect: frozen
# check: backbone frozen
"""Optimizes only the head but never freezes the backbone: step() leaves it alone, yet it still gets gradients."""
import torch
from torch import nn


def freeze_backbone(model, num_classes):
    model.fc = nn.Linear(model.fc.in_features, num_classes)
    optimizer = torch.optim.SGD(model.fc.parameters(), lr=1e-2, momentum=0.9)
    return model, optimizer
