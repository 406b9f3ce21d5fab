"""Markdown tables for the README from `zenith eval --json` and `zenith bench --json` output.

usage: python LoadTests/reports/engine_tables.py EVAL.json [EVAL.json ...] --bench BENCH.jsonl
"""
import json
import sys


def eval_table(report: dict) -> str:
    dense = next(p for p in report["plans"] if p["name"] == "dense")
    lines = [
        f"**{report['model']}** — {report['test_images']} test images, batch 1, {report['cpu']}, "
        f"{report['blas'].split(' (')[0]}",
        "",
        "| plan | test acc | Δ vs dense | val acc | mean µs | p50 µs | p99 µs | speed-up (mean) | speed-up (p99) | FLOPs | exits |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for p in report["plans"]:
        lat = p["latency_us"]
        lines.append(
            f"| {p['name']} | {p['test_accuracy']:.4f} | {100 * (p['test_accuracy'] - dense['test_accuracy']):+.2f} pt "
            f"| {p['validation_accuracy']:.4f} | {lat['mean']:.0f} | {lat['p50']:.0f} | {lat['p99']:.0f} "
            f"| {dense['latency_us']['mean'] / lat['mean']:.2f}× | {dense['latency_us']['p99'] / lat['p99']:.2f}× "
            f"| {p['flops_fraction']:.3f} | {p['exit_rate']:.3f} |"
        )
    return "\n".join(lines)


def bench_table(rows: list) -> str:
    lines = [
        "| model | batch | Zenith µs | ONNX Runtime µs | ratio | max abs diff |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['model']} | {r['batch']} | {r['zenith_us']:.1f} | {r['onnxruntime_us']:.1f} | **{r['ratio']:.2f}** "
            f"| {r['max_abs_diff']:.1e} |"
        )
    return "\n".join(lines)


def main() -> None:
    args = sys.argv[1:]
    bench = []
    if "--bench" in args:
        i = args.index("--bench")
        bench = [json.loads(line) for line in open(args[i + 1]) if line.strip()]
        args = args[:i] + args[i + 2:]
    for path in args:
        print(eval_table(json.load(open(path))))
        print()
    if bench:
        print(bench_table(bench))


if __name__ == "__main__":
    main()
