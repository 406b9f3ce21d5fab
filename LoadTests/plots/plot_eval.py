"""Plots test accuracy against batch-1 latency for every plan, from `zenith eval --json` reports.

usage: python LoadTests/plots/plot_eval.py OUT.png REPORT.json [REPORT.json ...]
"""
import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main() -> None:
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    out, reports = sys.argv[1], [json.load(open(p)) for p in sys.argv[2:]]
    fig, axes = plt.subplots(1, len(reports), figsize=(6.5 * len(reports), 4.8), squeeze=False)
    for ax, report in zip(axes[0], reports):
        plans = report["plans"]
        dense = next(p for p in plans if p["name"] == "dense")
        for p in plans:
            kind = "dense" if p["name"] == "dense" else p["name"].split("-")[0]
            ax.scatter(p["latency_us"]["mean"], 100 * p["test_accuracy"], s=28, label=kind)
            ax.annotate(p["name"], (p["latency_us"]["mean"], 100 * p["test_accuracy"]), fontsize=7,
                        xytext=(3, 3), textcoords="offset points")
        ax.axhline(100 * dense["test_accuracy"] - 1, color="grey", lw=0.8, ls="--", label="dense − 1 point")
        ax.set_xscale("log")
        ax.set_xlabel("mean latency per sample at batch 1 (µs, log)")
        ax.set_ylabel("test accuracy (%), 10k Fashion-MNIST test images")
        ax.set_title(f"{report['model']} — {report['cpu']}", fontsize=9)
        handles, labels = ax.get_legend_handles_labels()
        unique = dict(zip(labels, handles))
        ax.legend(unique.values(), unique.keys(), fontsize=7, loc="lower right")
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
