#!/usr/bin/env python3
"""The `fashion-cnn` model: a plain five-convolution network on Fashion-MNIST, exported to ONNX
for `scripts/prepare.sh --onnx` (which then attaches its early exit, ranks filters, fine-tunes
and plans it; scripts/make_fashion_models.sh runs both steps).

    python Models/training/zoo/fashion_cnn.py [--npz FILE] [--out model.onnx] [--epochs N] ...

conv1 (1->32, 28x28) pool conv2 (32->32, 14x14) conv3 (32->64) conv4 (64->64) pool
conv5 (64->128, 7x7) global average pool, fc (128->10); every conv 3x3 with batch norm and ReLU.
"""
from trainer import TrainConfig, main  # first: it configures OpenMP before torch loads

import torch.nn as nn  # noqa: E402

CHANNELS = [(1, 32), (32, 32), (32, 64), (64, 64), (64, 128)]


def block(ci, co):
    return [nn.Conv2d(ci, co, 3, padding=1, bias=False), nn.BatchNorm2d(co), nn.ReLU()]


def build():
    c = CHANNELS
    return nn.Sequential(
        *block(*c[0]), nn.MaxPool2d(2), *block(*c[1]), *block(*c[2]), *block(*c[3]), nn.MaxPool2d(2),
        *block(*c[4]), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(128, 10))


if __name__ == "__main__":
    main("fashion_cnn", build, TrainConfig(epochs=15, batch_size=128, max_lr=3e-3, weight_decay=5e-4))
