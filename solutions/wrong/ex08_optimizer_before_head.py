# expect: frozen
# check: optimizer
"""Creates the optimizer before replacing model.fc: it holds the old head's parameters."""
import torch
from torch import nn


def freeze_backbone(model, num_classes):
    for param in model.parameters():
        param.requires_grad = False
    optimizer = torch.optim.SGD(model.fc.parameters(), lr=1e-2, momentum=0.9)
    model.fc = nn.Linear(model.fc.in_features, num_classes)
    return model, optimizer
