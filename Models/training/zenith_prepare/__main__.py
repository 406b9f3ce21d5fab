"""python -m zenith_prepare --onnx FILE --data FILE.npz --name NAME --repository DIR
[--split a,b,c] [--work DIR] [--branches N] [--branch-at T,...] [--finetune EPOCHS] [--seed S]
[--max-plans N] [--latency FILE]

Turns a trained ONNX classifier into a Zenith model folder DIR/NAME (see pipeline.py)."""
import argparse
import sys

from .data import DataError
from .errors import OptionError, UnsupportedModelError


def _targets(text):
    """"exit.a,0.12" -> ["exit.a", 0.12]."""
    out = []
    for t in text.split(","):
        try:
            f = float(t)
        except ValueError:
            out.append(t)
            continue
        if not 0.0 < f < 1.0:
            raise argparse.ArgumentTypeError(f"{t}: a fraction must be between 0 and 1")
        out.append(f)
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m zenith_prepare", description=__doc__.split("\n\n")[-1])
    ap.add_argument("--onnx", required=True, help="trained classifier (.onnx, opset >= 13)")
    ap.add_argument("--data", required=True, help=".npz with x, y, optional labels and split")
    ap.add_argument("--name", required=True, help="model name (folder name)")
    ap.add_argument("--repository", required=True, help="model repository directory")
    ap.add_argument("--split", help="train,validation,test fractions in file order (overrides the file's split)")
    ap.add_argument("--work", help="cache directory (default out/prepare/NAME)")
    ap.add_argument("--branches", type=int, default=1, help="number of early-exit branches (default 1)")
    ap.add_argument("--branch-at", type=_targets, help="comma-separated exit head positions, each a cut "
                    "tensor's name or a fraction of the dense multiply-adds (overrides --branches)")
    ap.add_argument("--finetune", type=int, default=0, metavar="EPOCHS",
                    help="fine-tune the whole network for its plans (changes its weights; default 0: off)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--max-plans", type=int, default=10, help="most plans shipped, dense included (default 10)")
    ap.add_argument("--latency", help="a `zenith profile` latency.json: choose by measured batch-1 latency "
                                      "among the plans it measured instead of by multiply-adds")
    a = ap.parse_args(argv)
    from . import pipeline  # torch import after argument errors are reported

    try:
        pipeline.run(a.onnx, a.data, a.name, a.repository, split=a.split, work=a.work,
                     branches=a.branches, seed=a.seed, latency=a.latency, max_plans=a.max_plans,
                     branch_at=a.branch_at, finetune=a.finetune)
    except UnsupportedModelError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except (DataError, OptionError, FileNotFoundError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
