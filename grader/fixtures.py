"""Named fixtures an exercise can pass to students, such as a small model standing in for resnet18."""

from __future__ import annotations

from typing import Any, Callable


def small_convnet() -> Any:
    """A resnet18-shaped miniature: conv1/bn1/layer1/layer2 backbone, average pool, and an `fc` head."""
    from torch import nn

    class SmallConvNet(nn.Module):
        def __init__(self, num_classes: int = 10) -> None:
            super().__init__()
            self.conv1 = nn.Conv2d(3, 8, kernel_size=3, padding=1, bias=False)
            self.bn1 = nn.BatchNorm2d(8)
            self.relu = nn.ReLU()
            self.layer1 = nn.Sequential(nn.Conv2d(8, 8, 3, padding=1), nn.ReLU())
            self.layer2 = nn.Sequential(nn.Conv2d(8, 16, 3, stride=2, padding=1), nn.ReLU())
            self.avgpool = nn.AdaptiveAvgPool2d(1)
            self.fc = nn.Linear(16, num_classes)

        def forward(self, x: Any) -> Any:
            x = self.relu(self.bn1(self.conv1(x)))
            x = self.layer2(self.layer1(x))
            return self.fc(self.avgpool(x).flatten(1))

    return SmallConvNet()


FIXTURES: dict[str, Callable[[], Any]] = {"small_convnet": small_convnet}
