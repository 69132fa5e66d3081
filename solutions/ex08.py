"""Reference answer for ex08: freeze the backbone, then train only a new classifier head."""

import torch
from torch import nn


def freeze_backbone(model: nn.Module, num_classes: int) -> tuple[nn.Module, torch.optim.Optimizer]:
    for param in model.parameters():
        param.requires_grad = False
    model.fc = nn.Linear(model.fc.in_features, num_classes)
    optimizer = torch.optim.SGD(model.fc.parameters(), lr=1e-2, momentum=0.9)
    return model, optimizer
