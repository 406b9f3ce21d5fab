#!/usr/bin/env python3
"""The `fashion-mlp` model: a plain two-hidden-layer perceptron on Fashion-MNIST, exported to
ONNX with a flat [784] input for `scripts/prepare.sh --onnx` (which then ranks, fine-tunes and
plans it; scripts/make_fashion_models.sh runs both steps).

    python Models/training/zoo/fashion_mlp.py [--npz FILE] [--out model.onnx] [--epochs N] ...

784 -> 1024 (ReLU, dropout) -> 1024 (ReLU, dropout) -> 10, AdamW with a one-cycle schedule,
no augmentation.
"""
from trainer import TrainConfig, main  # first: it configures OpenMP before torch loads

import torch.nn as nn  # noqa: E402

HIDDEN = 1024


class MLP(nn.Module):
    def __init__(self, dropout=0.3):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(784, HIDDEN), nn.ReLU(), nn.Dropout(dropout),
            nn.Linear(HIDDEN, HIDDEN), nn.ReLU(), nn.Dropout(dropout),
            nn.Linear(HIDDEN, 10))

    def forward(self, x):
        # Images [N,1,28,28] while training, [N,784] as exported: both flatten to [N,784].
        return self.net(x.flatten(1))


if __name__ == "__main__":
    main("fashion_mlp", MLP, TrainConfig(epochs=25, max_lr=1e-3, weight_decay=1e-4, shift=0, flip=False),
         input_shape=[784])
