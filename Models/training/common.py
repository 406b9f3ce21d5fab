"""Shared helpers: seeding, logging, batched evaluation, Captum importance tables."""
import random
import time

import numpy as np
import torch

_T0 = time.time()


def log(msg):
    print(f"[{time.time() - _T0:7.1f}s] {msg}", flush=True)


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


def deeplift_tables(model, layers, x, y, bs=500, reduce_spatial=True, num_classes=10):
    """Per-class x unit importance with Captum LayerDeepLift (baseline zeros, target = the
    image's own class logit): mean over images of that class of |attribution| (summed over
    spatial positions for conv layers), each row normalised to sum 1.
    layers: {table name: module whose output is the unit activation (the ReLU)}."""
    from captum.attr import LayerDeepLift

    model.eval()
    tables = {}
    counts = torch.bincount(y, minlength=num_classes).double()
    for name, layer in layers.items():
        ldl = LayerDeepLift(model, layer)
        acc = None
        for i in range(0, x.shape[0], bs):
            xb, yb = x[i:i + bs], y[i:i + bs]
            attr = ldl.attribute(xb, baselines=torch.zeros_like(xb), target=yb)
            a = attr.detach().abs()
            if a.dim() == 4:
                a = a.sum(dim=(2, 3))
            if acc is None:
                acc = torch.zeros(num_classes, a.shape[1], dtype=torch.float64)
            acc.index_add_(0, yb, a.double())
        mean = acc / counts[:, None]
        tables[name] = (mean / mean.sum(dim=1, keepdim=True)).float()
        log(f"  importance.{name}: {tuple(tables[name].shape)}")
    return tables
