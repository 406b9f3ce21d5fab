#!/usr/bin/env python3
"""Zenith offline model pipeline: trains, ranks, fine-tunes, tunes plans and exports
Models/fashion-mlp and Models/fashion-cnn (see Models/FORMAT.md).

    python Models/training/train.py --out Models [--model fashion-mlp|fashion-cnn|all]
"""
import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from common import log, setup_torch  # noqa: E402
import data as data_mod  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="Models", help="output root (the Models/ folder)")
    ap.add_argument("--model", default="all", choices=["all", "fashion-mlp", "fashion-cnn"])
    ap.add_argument("--mlp-epochs", type=int, default=25)
    ap.add_argument("--mlp-ft-epochs", type=int, default=10)
    ap.add_argument("--cnn-epochs", type=int, default=15)
    ap.add_argument("--cnn-ft-epochs", type=int, default=6)
    ap.add_argument("--cnn-cache", default=None,
                    help="optional checkpoint of the trained, BN-folded CNN + tables (loaded if it "
                         "exists, else written) to iterate on fine-tuning/plans without retraining")
    ap.add_argument("--results", default=None,
                    help="results.json path (default: <this folder>/results.json)")
    args = ap.parse_args()
    setup_torch()
    t0 = time.time()
    data = data_mod.load_all()
    results_path = args.results or os.path.join(os.path.dirname(os.path.abspath(__file__)), "results.json")
    results = {}
    if os.path.exists(results_path):
        with open(results_path) as f:
            results = json.load(f)

    import export
    models = ["fashion-mlp", "fashion-cnn"] if args.model == "all" else [args.model]
    for name in models:
        t1 = time.time()
        if name == "fashion-mlp":
            import mlp
            res = mlp.run(data, epochs=args.mlp_epochs, ft_epochs=args.mlp_ft_epochs)
        else:
            import cnn
            res = cnn.run(data, epochs=args.cnn_epochs, ft_epochs=args.cnn_ft_epochs, cache=args.cnn_cache)
        out = export.export_model(args.out, name, res, data)
        out["training"] = res["info"]
        out["runtime_s"] = round(time.time() - t1, 1)
        results[name] = out
        log(f"{name}: done in {out['runtime_s']} s")
        with open(results_path, "w") as f:
            json.dump(results, f, indent=2)
            f.write("\n")
    total = round(time.time() - t0, 1)
    results["last_run"] = {"models": models, "runtime_s": total,
                           "args": {k: v for k, v in vars(args).items()}}
    with open(results_path, "w") as f:
        json.dump(results, f, indent=2)
        f.write("\n")
    log(f"pipeline finished in {total} s")


if __name__ == "__main__":
    main()
