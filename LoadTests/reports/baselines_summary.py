"""Gathers scripts/baselines.sh's runs into one markdown table per scenario: each mode's SLO
attainment and served accuracy over the repeats (mean, and min-max when there are several), and
in how many repeats Zenith's point held against the baselines (report.json's `baselines`).

usage: baselines_summary.py LoadTests/reports/baselines > summary.md
"""
import json
import sys
from pathlib import Path


def spread(values, scale=100, digits=1):
    if not values:
        return "–"
    mean = sum(values) / len(values)
    text = f"{mean * scale:.{digits}f}"
    if len(values) > 1:
        text += f" ({min(values) * scale:.{digits}f}–{max(values) * scale:.{digits}f})"
    return text


def main(folder):
    root = Path(folder)
    print("# Zenith against its baselines\n")
    print("Written by `LoadTests/reports/baselines_summary.py` from `scripts/baselines.sh`'s runs. Per mode: "
          "SLO attainment (answered within the latency target by a plan meeting the accuracy target, over all "
          "sent), the share within the latency target whatever the plan, served accuracy (correct answered "
          "images), in %: the mean over the repeats and, with several, their range. *Holds*: no baseline's "
          "point dominates Zenith's, and no static plan at least as punctual served more accurately.\n")
    for scenario in sorted(p for p in root.iterdir() if p.is_dir()):
        reports = [json.loads(r.read_text()) for r in sorted(scenario.glob("r*/report.json"))]
        if not reports:
            continue
        modes = []
        figures = {}
        verdicts = []
        for report in reports:
            for run in report["runs"]:
                mode = run["mode"]
                if mode not in modes:
                    modes.append(mode)
                entry = figures.setdefault(mode, {"attainment": [], "within": [], "accuracy": [], "p99": []})
                entry["attainment"].append(run["attainment"])
                entry["within"].append(run.get("within_latency_target", float("nan")))
                if run.get("served_accuracy") is not None:
                    entry["accuracy"].append(run["served_accuracy"])
                if run["latency_ms"].get("p99") is not None:
                    entry["p99"].append(run["latency_ms"]["p99"])
            for comparison in report.get("baselines", []):
                verdicts.append(comparison)
        first = reports[0]
        capacity = first.get("capacity") or {}
        print(f"## {scenario.name}\n")
        print(f"Model `{first['scenario']['model']}`, {len(reports)} repeat(s); dense capacity "
              + ", ".join(f"{r['capacity']['requests_per_second']:.0f}" for r in reports if r.get("capacity"))
              + f" req/s of {capacity.get('images_per_request', '?')} images.\n")
        print("| mode | SLO attainment % | within latency target % | served accuracy % | p99 ms |")
        print("|---|---|---|---|---|")
        for mode in modes:
            f = figures[mode]
            name = f"**{mode}**" if mode == "slo" else mode
            print(f"| {name} | {spread(f['attainment'])} | {spread(f['within'])} | {spread(f['accuracy'], digits=2)} "
                  f"| {spread(f['p99'], scale=1, digits=1)} |")
        held = sum(1 for v in verdicts if v["holds"])
        dominated = sorted({m for v in verdicts for m in v["dominated_by"]})
        print(f"\nHolds in {held} of {len(verdicts)} repeat(s)"
              + (f"; dominated by {', '.join(dominated)} in some." if dominated else ".")
              + "\n")


if __name__ == "__main__":
    main(sys.argv[1])
