#!/usr/bin/env python3
"""torchvision MobileNetV2 on Fashion-MNIST, exported to ONNX as a user's model for
`scripts/prepare.sh --onnx`.

    python Models/training/zoo/mobilenet_v2.py [--npz FILE] [--out model.onnx] [--epochs N] ...

The network is torchvision.models.mobilenet_v2(weights=None, num_classes=10) with only the
first conv taking 1 input channel instead of 3; its overall stride of 32 takes a 28x28 input
to 1x1 by the last stage.
"""
from trainer import TrainConfig, main, one_channel  # first: it configures OpenMP before torch loads

import torchvision  # noqa: E402


def build():
    model = torchvision.models.mobilenet_v2(weights=None, num_classes=10)
    model.features[0][0] = one_channel(model.features[0][0])
    return model


if __name__ == "__main__":
    main("mobilenet_v2", build, TrainConfig(epochs=10))
