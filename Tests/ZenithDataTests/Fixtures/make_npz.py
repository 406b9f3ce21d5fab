"""Writes the .npz fixtures NPZTests reads: numpy's own writer, stored and deflated, with and
without a split array, and a few dtypes. Run: python make_npz.py (numpy only)."""
import io
import pathlib
import zipfile

import numpy as np

here = pathlib.Path(__file__).parent
x = (np.arange(10 * 2 * 3, dtype=np.float32) / 7).reshape(10, 2, 3)
y = np.arange(10, dtype=np.int64) % 3
np.savez(here / "stored.npz", x=x, y=y, split=np.array([0] * 6 + [1] * 2 + [2] * 2, dtype=np.uint8))
np.savez_compressed(here / "deflated.npz", x=x.astype(np.float64), y=y.astype(np.int32))
np.savez(here / "no-labels.npz", x=x)
np.savez(here / "fortran.npz", x=np.asfortranarray(x[:, 0, :]), y=y)
np.savez(here / "with-names.npz", x=x, y=y, labels=np.array(["shirt", "boot", "bag"]))
np.savez(here / "string-labels.npz", x=x, y=np.array(["a"] * 10))
