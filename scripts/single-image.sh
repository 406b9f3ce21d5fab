#!/usr/bin/env bash
# Single-image clients: fashion-mlp at one image a request, over HTTP/1.1 keep-alive and h2c,
# with the server pinned to one CPU (one executor worker) and the harness on the other, as
# scripts/headline.sh runs them. Report in LoadTests/reports/single-image/report.md.
#
#  1. The server's CPU per request: `perf stat` on the server (task-clock and context switches)
#     while zenith-load sends LoadTests/Scenarios/single-image/cost-mlp.json (a fixed open-loop
#     rate) to it running one fixed cheap plan (--static-plan fashion-mlp=keep-12.5), so that the
#     figure is the per-request path's, not the controller's choice of compute. With
#     ZENITH_BASELINE=<git revision> the same is measured for that revision's build (in a
#     worktree under .build/baseline), runs of the two interleaved.
#  2. Attainment at twice the dense capacity: each protocol's dense capacity (closed loop,
#     one-image requests, that protocol), then LoadTests/Scenarios/single-image/mlp-2x.json against
#     `--dense-only` and the controller with the same trace.
#  3. The same at twice the open-loop dense capacity: the highest of 1, 1.15, 1.3, ... times the
#     closed-loop capacity at which dense serving, sent Poisson arrivals
#     (LoadTests/Scenarios/single-image/mlp-1x.json), answers at least 99% within the target (the
#     closed-loop capacity if it holds none of them). A closed loop could understate what dense
#     holds against Poisson arrivals, and twice an understated capacity would be an easy bar.
#
# usage: scripts/single-image.sh [--repeats N] [--cost-rate R]
#   --repeats: default 3; run it on a quiet machine.
#   --cost-rate: the request rate of step 1 instead of cost-mlp.json's: below what the slower
#     build serves on this machine, or both read only the saturated core.
set -euo pipefail
cd "$(dirname "$0")/.."

repeats=3
cost_rate=""
while [[ $# -gt 0 ]]; do
    case "$1" in
        --repeats) repeats=$2; shift 2 ;;
        --cost-rate) cost_rate=$2; shift 2 ;;
        *) echo "usage: $0 [--repeats N] [--cost-rate R]" >&2; exit 2 ;;
    esac
done

scripts/setup.sh --python
command -v perf >/dev/null || { [ "$(id -u)" = 0 ] && apt-get install -y -q linux-perf || sudo apt-get install -y -q linux-perf; }
swift build -c release --product zenith
swift build -c release --product zenith-load

out=LoadTests/reports/single-image
mkdir -p "$out"
load_cpu=${ZENITH_LOAD_CPU:-0}
server_cpu=${ZENITH_SERVER_CPU:-1}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

builds=(current)
declare -A binary=([current]="$PWD/.build/release/zenith")
if [[ -n "${ZENITH_BASELINE:-}" ]]; then
    base=.build/baseline
    rev=$(git rev-parse --short "$ZENITH_BASELINE")
    [[ -d "$base" ]] || git worktree add --detach "$base" "$rev"
    git -C "$base" checkout -q --detach "$rev"
    (cd "$base" && swift build -c release --product zenith)
    builds=("$rev" current)
    binary[$rev]="$PWD/$base/.build/release/zenith"
fi

# A wrapper zenith-load starts as the server: pinned, and leaving its PID for perf.
wrapper() {  # wrapper BUILD: prints the wrapper's path
    local file="$work/zenith-$1"
    printf '#!/bin/sh\necho $$ > %s/pid\nexec taskset -c %s %s "$@"\n' "$work" "$server_cpu" "${binary[$1]}" > "$file"
    chmod +x "$file"
    echo "$file"
}
load() { taskset -c "$load_cpu" .build/release/zenith-load "$@"; }

# 1. CPU per request.
cost_scenario=LoadTests/Scenarios/single-image/cost-mlp.json
if [[ -n "$cost_rate" ]]; then
    .venv/bin/python -c "import json,sys; s=json.load(open(sys.argv[1])); s['rate']['rps']=float(sys.argv[2]); json.dump(s, open(sys.argv[3], 'w'))" \
        "$cost_scenario" "$cost_rate" "$work/cost-mlp.json"
    cost_scenario=$work/cost-mlp.json
fi
rate=$(.venv/bin/python -c "import json,sys; print(json.load(open(sys.argv[1]))['rate']['rps'])" "$cost_scenario")
: > "$work/cost.csv"
for repeat in $(seq "$repeats"); do
    for http in http1 http2; do
        for build in "${builds[@]}"; do
            rm -f "$work/pid" "$work/run.log"
            (
                # From the run's first progress line (5 s in) for 8 s: the server is warm and loaded.
                until grep -q "s of .* sent" "$work/run.log" 2>/dev/null; do sleep 0.2; done
                perf stat -x, -e task-clock,context-switches -p "$(cat "$work/pid")" -- sleep 8 2> "$work/perf.csv"
            ) &
            watcher=$!
            load run "$cost_scenario" --compare static:keep-12.5 --zenith "$(wrapper "$build")" \
                --serve-arg=--workers --serve-arg=1 --http "$http" --out "$work/cost-run" > "$work/run.log" 2>&1
            wait "$watcher"
            answered=$(.venv/bin/python -c "import json,sys; r=json.load(open(sys.argv[1]))['runs'][0]; print(r['answered'] / r['sent'])" "$work/cost-run/report.json")
            clock=$(awk -F, '$3=="task-clock"{print $1}' "$work/perf.csv")
            switches=$(awk -F, '$3=="context-switches"{print $1}' "$work/perf.csv")
            echo "$build,$http,$repeat,$clock,$switches,$answered" >> "$work/cost.csv"
            echo "cost: $build $http repeat $repeat: task-clock $clock ms, $switches context switches in 8 s at $rate req/s (answered share $answered)"
        done
    done
done
cp "$work/cost.csv" "$out/cost.csv"

# 2. Attainment at 2x each protocol's dense capacity.
pinned=$(wrapper current)
server=(--zenith "$pinned" --serve-arg=--workers --serve-arg=1 --serve-arg=--idle-poll)
for http in http1 http2; do
    load capacity --model fashion-mlp --input-shape 784 --images-per-request 1 --http "$http" --duration 20 \
        --json "$out/capacity-$http.json" "${server[@]}"
    for repeat in $(seq "$repeats"); do
        load run LoadTests/Scenarios/single-image/mlp-2x.json --compare dense,slo --http "$http" \
            --capacity-file "$out/capacity-$http.json" --seed "$repeat" "${server[@]}" --out "$out/$http-r$repeat"
    done
done

# 3. Attainment at 2x the open-loop dense capacity.
attainment() {  # attainment REPORT_JSON: the first run's attainment
    .venv/bin/python -c "import json,sys; print(json.load(open(sys.argv[1]))['runs'][0]['attainment'])" "$1"
}
for http in http1 http2; do
    closed=$(.venv/bin/python -c "import json,sys; print(json.load(open(sys.argv[1]))['requests_per_second'])" "$out/capacity-$http.json")
    held=""
    : > "$out/open-capacity-$http.csv"
    for multiple in 1.0 1.15 1.3 1.45 1.6 1.75 1.9; do
        probe=$(.venv/bin/python -c "print(round($closed * $multiple))")
        load run LoadTests/Scenarios/single-image/mlp-1x.json --compare dense --http "$http" --capacity "$probe" \
            "${server[@]}" --out "$work/open-$http"
        share=$(attainment "$work/open-$http/report.json")
        echo "$probe,$share" >> "$out/open-capacity-$http.csv"
        echo "open loop: dense at $probe req/s over $http: attainment $share"
        .venv/bin/python -c "import sys; sys.exit(0 if $share >= 0.99 else 1)" || break
        held=$probe
    done
    [[ -n "$held" ]] || held=$closed
    for repeat in $(seq "$repeats"); do
        load run LoadTests/Scenarios/single-image/mlp-2x.json --compare dense,slo --http "$http" \
            --capacity "$held" --seed "$repeat" "${server[@]}" --out "$out/$http-open-r$repeat"
    done
done

.venv/bin/python LoadTests/reports/single_image_summary.py "$out" --rate "$rate" --repeats "$repeats" > "$out/report.md"
cat "$out/report.md"
