"""Labelled data for the prepare pipeline: an .npz with `x` (float32, N x input dims), `y`
(int class indices), optional `labels` (class names) and optional `split` (uint8 per sample:
0 train, 1 validation, 2 test).

Without `split` the samples are taken in file order: train = [0, N*8//10), validation =
[N*8//10, N*9//10), test = the rest. This is the rule the Swift side (ZenithData
LabelledImages) uses, so both see the same samples. `--split a,b,c` replaces the file's
split (or the default fractions) with the same file-order rule at fractions a:b:c."""
from dataclasses import dataclass

import numpy as np


class DataError(ValueError):
    """The data file does not fit the model or is malformed."""


@dataclass
class Dataset:
    x: dict          # "train"/"validation"/"test" -> float32 [n, *dims]
    y: dict          # same keys -> int64 [n]
    labels: list     # class names
    rule: str        # how the split was made
    counts: dict


def parse_split(text):
    """"a,b,c" -> three non-negative fractions (normalised), or None."""
    if text is None:
        return None
    try:
        parts = [float(p) for p in text.split(",")]
    except ValueError:
        raise DataError(f"--split {text!r}: expected three numbers a,b,c") from None
    if len(parts) != 3 or min(parts) < 0 or sum(parts) <= 0 or parts[0] == 0 or parts[1] == 0:
        raise DataError(f"--split {text!r}: expected three non-negative fractions with train and "
                        "validation > 0")
    return parts


def load(path, input_dims, num_classes, split=None):
    """Load and split `path`; raises DataError with a message naming the problem."""
    try:
        d = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as e:
        raise DataError(f"{path}: cannot read as .npz ({e})") from None
    for k in ("x", "y"):
        if k not in d.files:
            raise DataError(f"{path}: no '{k}' array (has {', '.join(d.files)})")
    x, y = d["x"], d["y"]
    n = x.shape[0]
    if tuple(x.shape[1:]) != tuple(input_dims):
        # Same values per sample in another shape (images [1,28,28] for a model on [784]): read
        # in C order, as a client sending the sample's values would.
        if int(np.prod(x.shape[1:])) != int(np.prod(input_dims)):
            raise DataError(f"{path}: x has per-sample shape {list(x.shape[1:])}, the model input is "
                            f"{list(input_dims)}")
        x = x.reshape(n, *input_dims)
    if not np.issubdtype(x.dtype, np.floating):
        raise DataError(f"{path}: x is {x.dtype}, float32 expected")
    if y.shape != (n,) or not np.issubdtype(y.dtype, np.integer):
        raise DataError(f"{path}: y must be {n} integer labels, got {y.dtype} {list(y.shape)}")
    if n and (y.min() < 0 or y.max() >= num_classes):
        raise DataError(f"{path}: labels range {y.min()}..{y.max()}, the model has {num_classes} classes")
    if "labels" in d.files:
        labels = [str(s) for s in d["labels"]]
        if len(labels) != num_classes:
            raise DataError(f"{path}: {len(labels)} labels for {num_classes} classes")
    else:
        labels = [f"class{i}" for i in range(num_classes)]
    if split is None and "split" in d.files:
        s = d["split"]
        if s.shape != (n,) or not set(np.unique(s).tolist()) <= {0, 1, 2}:
            raise DataError(f"{path}: 'split' must hold {n} values in 0/1/2")
        rule = "npz 'split' array (0 train, 1 validation, 2 test)"
    else:
        a, b, c = split or (8, 1, 1)
        tot = a + b + c
        if split is None:
            t_end, v_end = n * 8 // 10, n * 9 // 10
            rule = "file order: first 80% train, next 10% validation, last 10% test"
        else:
            t_end, v_end = int(n * a / tot), int(n * (a + b) / tot)
            rule = f"file order: fractions {a / tot:.4g}/{b / tot:.4g}/{c / tot:.4g} (train/validation/test)"
        s = np.full(n, 2, np.uint8)
        s[:t_end] = 0
        s[t_end:v_end] = 1
    xs, ys = {}, {}
    for k, name in enumerate(("train", "validation", "test")):
        m = s == k
        xs[name] = np.ascontiguousarray(x[m], dtype=np.float32)
        ys[name] = y[m].astype(np.int64)
    counts = {k: int(v.shape[0]) for k, v in xs.items()}
    if counts["train"] == 0 or counts["validation"] == 0:
        raise DataError(f"{path}: split gives {counts}; train and validation must not be empty")
    return Dataset(xs, ys, labels, rule, counts)
