"""python -m zenith_prepare --onnx FILE --data FILE.npz --name NAME --repository DIR
[--split a,b,c] [--work DIR] [--branches N] [--seed S] [--max-plans N] [--latency FILE]

Turns a trained ONNX classifier into a Zenith model folder DIR/NAME (see pipeline.py)."""
import argparse
import sys

from .data import DataError
from .errors import UnsupportedModelError


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m zenith_prepare", description=__doc__.split("\n\n")[-1])
    ap.add_argument("--onnx", required=True, help="trained classifier (.onnx, opset >= 13)")
    ap.add_argument("--data", required=True, help=".npz with x, y, optional labels and split")
    ap.add_argument("--name", required=True, help="model name (folder name)")
    ap.add_argument("--repository", required=True, help="model repository directory")
    ap.add_argument("--split", help="train,validation,test fractions in file order (overrides the file's split)")
    ap.add_argument("--work", help="cache directory (default out/prepare/NAME)")
    ap.add_argument("--branches", type=int, default=1, help="number of early-exit branches (default 1)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--max-plans", type=int, default=10, help="most plans shipped, dense included (default 10)")
    ap.add_argument("--latency", help="a `zenith profile` latency.json: choose by measured batch-1 latency "
                                      "among the plans it measured instead of by multiply-adds")
    a = ap.parse_args(argv)
    from . import pipeline  # torch import after argument errors are reported

    try:
        pipeline.run(a.onnx, a.data, a.name, a.repository, split=a.split, work=a.work,
                     branches=a.branches, seed=a.seed, latency=a.latency, max_plans=a.max_plans)
    except UnsupportedModelError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except (DataError, FileNotFoundError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
