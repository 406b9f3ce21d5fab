"""Fashion-MNIST IDX loading and batch augmentation (no torchvision, no network). Only the
augmentation needs torch, so fashion_npz.py runs with numpy alone."""
import gzip
import os

import numpy as np

DATA_DIR = os.environ.get("FASHION_MNIST_DIR", "/usr/share/datasets/fashion-mnist")
LABELS = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
          "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
N_TRAIN = 55000  # fashion_npz.py: train on 0..<55000, validate on 55000..<60000


def _read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic = int.from_bytes(data[0:4], "big")
    ndim = magic & 0xFF
    dims = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    arr = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    return arr.reshape(dims)


def load_split(name):
    """Returns (images float32 [N,28,28] in [0,1], labels int64 [N])."""
    prefix = {"train": "train", "test": "t10k"}[name]
    x = _read_idx(os.path.join(DATA_DIR, f"{prefix}-images-idx3-ubyte.gz"))
    y = _read_idx(os.path.join(DATA_DIR, f"{prefix}-labels-idx1-ubyte.gz"))
    x = x.astype(np.float32) / np.float32(255.0)
    return x, y.astype(np.int64)


def random_shift(x, gen, pad=2, flip=False):
    """Per-sample random translation by up to +-pad pixels (zero fill), optional h-flip.
    x: [N,1,28,28]."""
    import torch

    n, c, h, w = x.shape
    xp = torch.nn.functional.pad(x, (pad, pad, pad, pad))
    dy = torch.randint(0, 2 * pad + 1, (n,), generator=gen)
    dx = torch.randint(0, 2 * pad + 1, (n,), generator=gen)
    ar_h = torch.arange(h)
    ar_w = torch.arange(w)
    rows = (dy[:, None] + ar_h[None, :])[:, :, None]          # [n,h,1]
    cols = (dx[:, None] + ar_w[None, :])                      # [n,w]
    if flip:
        f = torch.rand(n, generator=gen) < 0.5
        cols = torch.where(f[:, None], cols.flip(1), cols)
    cols = cols[:, None, :]                                   # [n,1,w]
    idx = torch.arange(n)[:, None, None]
    out = xp[:, 0][idx, rows, cols]                           # [n,h,w]
    return out[:, None].contiguous()
