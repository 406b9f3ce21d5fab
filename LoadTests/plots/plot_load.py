"""Plots a zenith-load report: latency CDF of each mode, attainment and served accuracy against
offered load (sweeps), and plan mix and p99 over time (with the operator actions marked).

usage: python LoadTests/plots/plot_load.py OUTDIR   (reads OUTDIR/report.json and samples.csv,
writes PNGs into OUTDIR and prints each file name written)
"""
import csv
import json
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

COLOURS = {"dense": "tab:blue", "slo": "tab:orange", "external": "tab:green"}


def save(fig, out, name, dpi=120):
    """Writes `fig` to out/name, closes it and returns the path."""
    path = os.path.join(out, name)
    fig.tight_layout()
    fig.savefig(path, dpi=dpi)
    plt.close(fig)
    return path


def latency_cdf(out, report, samples):
    runs = [r for r in report["runs"] if r["capacity_multiple"] is None or len(report["runs"]) <= 2]
    if report["scenario"].get("sweep"):
        # For a sweep: the CDF at the highest offered load, where the modes differ most.
        top = max(r["capacity_multiple"] for r in report["runs"])
        runs = [r for r in report["runs"] if r["capacity_multiple"] == top]
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for run in runs:
        mode, multiple = run["mode"], run["capacity_multiple"]
        key = "" if multiple is None else f"{multiple:.3f}"
        # Only answers with outputs: a quick rejection is not a fast answer.
        values = sorted(float(s["latency_ms"]) for s in samples
                        if s["mode"] == mode and s["capacity_multiple"] == key and s["latency_ms"]
                        and s["status"] == "200" and s["predicted"] != "")
        if not values:
            continue
        # Requests without an answer are part of the distribution (at infinity): the curve tops
        # out at the answered share of *sent* requests.
        sent = run["sent"]
        ys = [(i + 1) / sent for i in range(len(values))]
        ax.step(values, ys, where="post", color=COLOURS.get(mode), label=f"{mode} (answered {len(values)}/{sent})")
    for cls in report["scenario"]["classes"]:
        ax.axvline(cls["latency_target_ms"], color="grey", ls="--", lw=0.8)
        ax.annotate(f"{cls['name']} target", (cls["latency_target_ms"], 0.02), fontsize=7, rotation=90)
    ax.set_xscale("log")
    ax.set_xlabel("latency from scheduled send (ms, log)")
    ax.set_ylabel("share of sent requests")
    ax.set_ylim(0, 1.01)
    ax.set_title(f"{report['scenario']['name']}: latency CDF")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return save(fig, out, "latency_cdf.png", dpi=120)


def sweep(out, report):
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 4.3))
    modes = sorted({r["mode"] for r in report["runs"]})
    for mode in modes:
        runs = sorted((r for r in report["runs"] if r["mode"] == mode), key=lambda r: r["capacity_multiple"])
        xs = [r["capacity_multiple"] for r in runs]
        a1.plot(xs, [100 * r["attainment"] for r in runs], "o-", color=COLOURS.get(mode), label=mode)
        a2.plot(xs, [100 * (r["served_accuracy"] or 0) for r in runs], "o-", color=COLOURS.get(mode), label=f"{mode}: served")
        a2.plot(xs, [100 * r["goodput_accuracy"] for r in runs], "x:", color=COLOURS.get(mode), label=f"{mode}: correct / sent")
    a1.set_xlabel("offered load (× dense capacity)")
    a1.set_ylabel("SLO attainment (% of sent)")
    a1.set_ylim(0, 101)
    a2.set_xlabel("offered load (× dense capacity)")
    a2.set_ylabel("accuracy (%)")
    for ax in (a1, a2):
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle(f"{report['scenario']['name']}: attainment and served accuracy against offered load")
    return save(fig, out, "sweep.png", dpi=120)


def timeline(out, report):
    runs = report["runs"]
    fig, axes = plt.subplots(2, len(runs), figsize=(6.5 * len(runs), 7), squeeze=False, sharex=True)
    plans = sorted({p for r in runs for b in r["timeline"] for p in b["plans"]})
    cmap = plt.get_cmap("tab20")
    for col, run in enumerate(runs):
        top, bottom = axes[0][col], axes[1][col]
        t = [b["t_s"] for b in run["timeline"]]
        shares = []
        for plan in plans:
            shares.append([b["plans"].get(plan, 0) / max(b["answered"], 1) for b in run["timeline"]])
        top.stackplot(t, shares, labels=plans, colors=[cmap(i % 20) for i in range(len(plans))], step="post")
        top.set_ylabel("plan mix (share of answers)")
        top.set_title(f"{run['mode']}")
        top.set_ylim(0, 1)
        bottom.plot(t, [b["p99_ms"] if b["p99_ms"] is not None else float("nan") for b in run["timeline"]],
                    color=COLOURS.get(run["mode"]), label="p99 latency")
        bottom.set_yscale("log")
        bottom.set_ylabel("p99 per second (ms, log)")
        bottom.set_xlabel("seconds (by scheduled send)")
        ax2 = bottom.twinx()
        ax2.plot(t, [b["sent"] for b in run["timeline"]], color="grey", lw=0.8, ls=":", label="sent per second")
        ax2.set_ylabel("sent per second")
        for cls in report["scenario"]["classes"]:
            bottom.axhline(cls["latency_target_ms"], color="grey", ls="--", lw=0.8)
        for action in run["actions"]:
            if action["at_s"] >= 0:
                for ax in (top, bottom):
                    ax.axvline(action["at_s"], color="red" if action["ok"] else "black", lw=1)
                top.annotate("set-target" + ("" if action["ok"] else " (failed)"), (action["at_s"], 0.95), fontsize=7,
                             color="red" if action["ok"] else "black")
        bottom.grid(alpha=0.3)
    axes[0][-1].legend(fontsize=7, loc="lower right")
    fig.suptitle(f"{report['scenario']['name']}: plan mix and p99 over time")
    return save(fig, out, "timeline.png", dpi=110)


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    report = json.load(open(os.path.join(out, "report.json")))
    with open(os.path.join(out, "samples.csv")) as f:
        samples = list(csv.DictReader(f))
    written = [latency_cdf(out, report, samples)]
    if report["scenario"].get("sweep"):
        written.append(sweep(out, report))
    else:
        written.append(timeline(out, report))
    for path in written:
        print(os.path.basename(path))


if __name__ == "__main__":
    main()
