#!/usr/bin/env bash
# The headline load tests: every scenario of LoadTests/Scenarios run open-loop against
# `zenith serve --dense-only` and `zenith serve` with the same arrival trace (--compare dense,slo),
# reports and plots in LoadTests/reports/headline/<scenario>/.
#
# The dense capacity of each model is measured once per request size (closed loop against
# --dense-only, with the scenarios' images_per_request: a k-image request costs more than a
# one-image one) and passed to every scenario of that model and size, so relative rates mean the
# same thing in all of them (`run --capacity-file` refuses a file measured with another size).
# Run it on a quiet machine. The harness runs on CPU 0 and every server it starts on CPU 1 with
# one executor worker (ZENITH_LOAD_CPU, ZENITH_SERVER_CPU): sharing two cores, the harness's own
# lateness would become part of the figures (its selfcheck measures that). Every server polls
# its idle core (`zenith serve --idle-poll`). A scenario's interference (zenith-load burn) is pinned to
# the server's CPU, so that the two share it as co-located tenants would.
#
# usage: scripts/headline.sh [extra zenith-load run options, e.g. --duration 20]
# (ZENITH_SCENARIOS="headline-cnn colocation-mlp" runs only those scenarios; capacities are
# measured anew for the ones run. ZENITH_REPEATS=N runs each N times on the same capacity, into
# <scenario>/r1 ... rN: the same trace each time, so the spread is the server's and the machine's.)
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh --python
swift build -c release --product zenith
swift build -c release --product zenith-load

out=LoadTests/reports/headline
mkdir -p "$out"
repeats=${ZENITH_REPEATS:-1}

load_cpu=${ZENITH_LOAD_CPU:-0}
server_cpu=${ZENITH_SERVER_CPU:-1}
pinned=$(mktemp)
trap 'rm -f "$pinned"' EXIT
printf '#!/bin/sh\nexec taskset -c %s %s/.build/release/zenith "$@"\n' "$server_cpu" "$PWD" > "$pinned"
chmod +x "$pinned"
load() { taskset -c "$load_cpu" .build/release/zenith-load "$@"; }
# --idle-poll for every server, dense and SLO alike: on a VM an idle vCPU halts and each hand-off
# (request in, batch to the worker, answer out) then waits for the hypervisor to wake it.
server=(--zenith "$pinned" --serve-arg=--workers --serve-arg=1 --serve-arg=--idle-poll)

field() {  # field FILE KEY DEFAULT: a top-level field of a JSON file (a list as 1,28,28)
    .venv/bin/python -c "import json,sys; v=json.load(open(sys.argv[1])).get(sys.argv[2], sys.argv[3]); print(','.join(map(str,v)) if isinstance(v,list) else v)" "$1" "$2" "$3"
}

# use_capacity MODEL K SHAPE: sets $capacity_file to the capacity of MODEL with K images per request,
# measured on first use (not in a subshell: the table of measured files must persist).
declare -A measured
use_capacity() {
    capacity_file="$out/capacity-$1-k$2.json"
    if [[ -z "${measured[$capacity_file]:-}" ]]; then
        # 48 outstanding requests of 8 images keep the queue busy and below its 1024-sample bound.
        load capacity --model "$1" --input-shape "$3" --images-per-request "$2" --concurrency $((384 / $2 > 256 ? 256 : 384 / $2)) \
            --duration 20 --json "$capacity_file" "${server[@]}"
        measured[$capacity_file]=1
    fi
}

# Every capacity first, then the harness's own check: a harness that cannot keep its schedule
# would measure itself. It drives GET /v2/health/ready at 5x the largest of them.
scenarios=()
for scenario in LoadTests/Scenarios/*.json; do
    name=$(basename "$scenario" .json)
    if [[ -z "${ZENITH_SCENARIOS:-}" || " $ZENITH_SCENARIOS " == *" $name "* ]]; then scenarios+=("$scenario"); fi
done
for scenario in "${scenarios[@]}"; do
    use_capacity "$(field "$scenario" model "")" "$(field "$scenario" images_per_request 1)" "$(field "$scenario" input_shape "")"
done
largest=$(.venv/bin/python -c "import json,sys; print(max(json.load(open(f))['requests_per_second'] for f in sys.argv[1:]))" "${!measured[@]}")
load selfcheck "${server[@]}" --capacity "$largest" --capacity-multiple 5 --duration 20 \
    | tee "$out/selfcheck.txt" || echo "selfcheck FAILED: the figures below may be the harness's, not the server's" | tee -a "$out/selfcheck.txt"

for scenario in "${scenarios[@]}"; do
    name=$(basename "$scenario" .json)
    use_capacity "$(field "$scenario" model "")" "$(field "$scenario" images_per_request 1)" "$(field "$scenario" input_shape "")"
    for ((r = 1; r <= repeats; r++)); do
        dest="$out/$name"
        if ((repeats > 1)); then dest="$out/$name/r$r"; fi
        load run "$scenario" --compare dense,slo --capacity-file "$capacity_file" "${server[@]}" \
            --interference-cpus "$server_cpu" --out "$dest" "$@"
    done
done
if ((repeats > 1)); then echo "reports: $out/*/r*/report.md"; else echo "reports: $out/*/report.md"; fi
