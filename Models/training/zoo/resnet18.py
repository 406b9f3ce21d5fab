#!/usr/bin/env python3
"""torchvision ResNet-18 on Fashion-MNIST, exported to ONNX as a user's model for
`scripts/prepare.sh --onnx`.

    python Models/training/zoo/resnet18.py [--npz FILE] [--out model.onnx] [--epochs N] ...

The network is torchvision.models.resnet18(weights=None, num_classes=10) with only the first
conv taking 1 input channel instead of 3; on 28x28 inputs its stem (7x7 stride-2 conv, max pool)
leaves 7x7 feature maps and layer4 runs at 1x1.
"""
from trainer import TrainConfig, main, one_channel  # first: it configures OpenMP before torch loads

import torchvision  # noqa: E402


def build():
    model = torchvision.models.resnet18(weights=None, num_classes=10)
    model.conv1 = one_channel(model.conv1)
    return model


if __name__ == "__main__":
    main("resnet18", build, TrainConfig(epochs=5))
