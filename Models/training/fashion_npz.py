#!/usr/bin/env python3
"""Converts the Fashion-MNIST IDX files to the labelled `.npz` that `scripts/prepare.sh --data`
reads, and defines how such a file is split.

    python Models/training/fashion_npz.py [--split all|train|test] [--out FILE]

The `.npz` holds
  x       float32 [N, 1, 28, 28]  pixel bytes / 255, exactly what the served model receives
  y       int64   [N]             class index
  labels  str     [10]            class names in class-index order
  split   uint8   [N]             0 = train, 1 = validation, 2 = test

Split convention (`split_indices`): if the file has a `split` array, it decides. Without one,
the pipeline splits by index: the first 80 % train, the next 10 % validation, the last 10 %
test (boundaries N*8//10 and N*9//10, in integers, as ZenithData.LabelledImages
and zenith_prepare split). Training uses only train, every threshold and
plan is chosen on validation, and test is only reported.

`--split all` (the default) writes the 60k training images followed by the 10k test images:
training images 0..<55000 are train, 55000..<60000 validation (the split Models/training/
train.py uses), the 10k test images test. `--split train` writes only the first 60k (split 0
and 1), `--split test` only the 10k test images (all split 2).
"""
import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import data as data_mod  # noqa: E402

TRAIN, VALIDATION, TEST = 0, 1, 2
DEFAULT_OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "out", "fashion-mnist.npz")


def split_indices(z):
    """Returns {"train", "val", "test"} -> int64 index arrays into z["x"] / z["y"], following
    the convention in the module docstring. z: a mapping such as the result of np.load."""
    n = len(z["y"])
    if "split" in z:
        s = np.asarray(z["split"])
        if s.shape != (n,):
            raise ValueError(f"split has shape {s.shape}, expected ({n},)")
        bad = ~np.isin(s, (TRAIN, VALIDATION, TEST))
        if bad.any():
            raise ValueError(f"split holds values other than 0/1/2 (first at index {int(np.argmax(bad))})")
    else:
        s = np.full(n, TEST, dtype=np.uint8)
        s[:n * 9 // 10] = VALIDATION
        s[:n * 8 // 10] = TRAIN
    return {name: np.flatnonzero(s == code).astype(np.int64)
            for name, code in (("train", TRAIN), ("val", VALIDATION), ("test", TEST))}


def build(split):
    """Returns the arrays of the `.npz` for split "all", "train" or "test"."""
    parts = []
    if split in ("all", "train"):
        x, y = data_mod.load_split("train")
        s = np.full(len(y), VALIDATION, dtype=np.uint8)
        s[:data_mod.N_TRAIN] = TRAIN
        parts.append((x, y, s))
    if split in ("all", "test"):
        x, y = data_mod.load_split("test")
        parts.append((x, y, np.full(len(y), TEST, dtype=np.uint8)))
    x = np.concatenate([p[0] for p in parts])[:, None]
    return {
        "x": np.ascontiguousarray(x, dtype=np.float32),
        "y": np.concatenate([p[1] for p in parts]).astype(np.int64),
        # A fixed-width unicode array, not an object array, so np.load needs no pickle.
        "labels": np.array(data_mod.LABELS, dtype=np.str_),
        "split": np.concatenate([p[2] for p in parts]),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--split", default="all", choices=["all", "train", "test"],
                    help="which IDX files to convert (default: all)")
    ap.add_argument("--out", default=DEFAULT_OUT, help=f"output .npz (default: {DEFAULT_OUT})")
    args = ap.parse_args()

    arrays = build(args.split)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    np.savez_compressed(args.out, **arrays)
    counts = np.bincount(arrays["split"], minlength=3)
    print(f"wrote {args.out}: x {arrays['x'].shape} {arrays['x'].dtype}, y {arrays['y'].shape}, "
          f"train/val/test {counts[TRAIN]}/{counts[VALIDATION]}/{counts[TEST]}", file=sys.stderr)


if __name__ == "__main__":
    main()
