#!/usr/bin/env bash
# Zenith against the baselines a user could run instead, for every model of Models/: on the
# step and the daily scenario of LoadTests/Scenarios/baselines/, one open-loop trace (same seed)
# replayed against `zenith serve` (slo), `--dense-only` (dense), dense with each request's latency
# target sent as Triton's `timeout` (dense-timeout), and `--static-plan MODEL=PLAN` for every
# non-dense plan of the model (static:PLAN, a statically pruned model). Each report.md says
# whether any baseline dominates Zenith's (attainment, served accuracy) point;
# LoadTests/reports/baselines/summary.md gathers every run and its spread over the repeats.
#
# Cores as scripts/headline.sh: the harness on CPU 0, each server on CPU 1 with one worker and
# --idle-poll; each server gets a repository of the scenario's model alone (no other model's
# warm-up). Run it on a quiet machine: ~45 minutes a repeat.
#
# usage: scripts/baselines.sh [--repeats N] [--first K] [--models "m1 m2"] [--shapes "step daily"] [extra zenith-load run options]
# (repeats are numbered K, K+1, ...: a later invocation with --first adds to the earlier ones)
set -euo pipefail
cd "$(dirname "$0")/.."

repeats=1
first=1
models=""
shapes="step daily"
while [[ $# -gt 0 ]]; do
    case "$1" in
    --repeats) repeats=$2; shift 2 ;;
    --first) first=$2; shift 2 ;;
    --models) models=$2; shift 2 ;;
    --shapes) shapes=$2; shift 2 ;;
    *) break ;;
    esac
done
if [[ -z "$models" ]]; then
    models=$(for f in Models/*/config.json; do basename "$(dirname "$f")"; done)
fi

scripts/setup.sh --python
swift build -c release --product zenith
swift build -c release --product zenith-load

out=LoadTests/reports/baselines
mkdir -p "$out"
load_cpu=${ZENITH_LOAD_CPU:-0}
server_cpu=${ZENITH_SERVER_CPU:-1}
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
printf '#!/bin/sh\nexec taskset -c %s %s/.build/release/zenith "$@"\n' "$server_cpu" "$PWD" > "$scratch/zenith"
chmod +x "$scratch/zenith"
load() { taskset -c "$load_cpu" .build/release/zenith-load "$@"; }

for model in $models; do
    # A repository of this model alone.
    mkdir -p "$scratch/$model"
    ln -sfn "$PWD/Models/$model" "$scratch/$model/$model"
    server=(--zenith "$scratch/zenith" --serve-arg=--workers --serve-arg=1 --serve-arg=--idle-poll
        --serve-arg=--repository "--serve-arg=$scratch/$model")
    shape=$(.venv/bin/python -c "import json,sys; print(','.join(map(str, json.load(open(sys.argv[1]))['input_shape'])))" \
        "LoadTests/Scenarios/baselines/step-$model.json")
    modes="slo,dense,dense-timeout"
    for plan in $(.venv/bin/python -c "import json,sys; print(' '.join(p['name'] for p in json.load(open(sys.argv[1]))['plans'][1:]))" \
        "Models/$model/config.json"); do
        modes="$modes,static:$plan"
    done
    for repeat in $(seq "$first" $((first + repeats - 1))); do
        # Capacity once per repeat and model (closed loop against --dense-only, 8 images a request).
        capacity="$out/capacity-$model-r$repeat.json"
        load capacity --model "$model" --input-shape "$shape" --images-per-request 8 --concurrency 48 \
            --duration 15 --json "$capacity" "${server[@]}"
        for s in $shapes; do
            load run "LoadTests/Scenarios/baselines/$s-$model.json" --compare "$modes" --capacity-file "$capacity" \
                "${server[@]}" --out "$out/$s-$model/r$repeat" "$@"
        done
    done
done
.venv/bin/python LoadTests/reports/baselines_summary.py "$out" > "$out/summary.md"
echo "summary: $out/summary.md"
