"""Shared helpers of the training scripts: seeding, threads, batched evaluation."""
import random

import numpy as np
import torch


def seed_all(seed):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def setup_torch():
    torch.set_num_threads(2)
    torch.use_deterministic_algorithms(True, warn_only=True)


@torch.no_grad()
def predict(fn, x, bs=1000):
    outs = [fn(x[i:i + bs]) for i in range(0, x.shape[0], bs)]
    return torch.cat(outs)


def acc_of(logits, y):
    return float((logits.argmax(1) == y).double().mean())
