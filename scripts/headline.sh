#!/usr/bin/env bash
# The headline load tests: every scenario of LoadTests/Scenarios run open-loop against
# `zenith serve --dense-only` and `zenith serve` with the same arrival trace (--compare dense,slo),
# reports and plots in LoadTests/reports/headline/<scenario>/.
#
# The dense capacity of each model is measured once per request size (closed loop against
# --dense-only, with the scenarios' images_per_request: a k-image request costs more than a
# one-image one) and passed to every scenario of that model and size, so relative rates mean the
# same thing in all of them (`run --capacity-file` refuses a file measured with another size).
# Run it on a quiet machine: the harness and the servers share its cores.
#
# usage: scripts/headline.sh [extra zenith-load run options, e.g. --duration 20]
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh --python
swift build -c release --product zenith
swift build -c release --product zenith-load

out=LoadTests/reports/headline
mkdir -p "$out"

field() {  # field FILE KEY DEFAULT: a top-level field of a JSON file
    .venv/bin/python -c "import json,sys; print(json.load(open(sys.argv[1])).get(sys.argv[2], sys.argv[3]))" "$1" "$2" "$3"
}

# use_capacity MODEL K: sets $capacity_file to the capacity of MODEL with K images per request,
# measured on first use (not in a subshell: the table of measured files must persist).
declare -A measured
use_capacity() {
    capacity_file="$out/capacity-$1-k$2.json"
    if [[ -z "${measured[$capacity_file]:-}" ]]; then
        .build/release/zenith-load capacity --model "$1" --images-per-request "$2" --duration 20 --json "$capacity_file"
        measured[$capacity_file]=1
    fi
}

# A harness that cannot keep its schedule would measure itself: check it first, at 5x the request
# rate of the headline CNN scenario's request size.
use_capacity fashion-cnn "$(field LoadTests/Scenarios/headline-cnn.json images_per_request 1)"
.build/release/zenith-load selfcheck --capacity "$(field "$capacity_file" requests_per_second 0)" --capacity-multiple 5 --duration 20 \
    | tee "$out/selfcheck.txt" || echo "selfcheck FAILED: the figures below may be the harness's, not the server's" | tee -a "$out/selfcheck.txt"

for scenario in LoadTests/Scenarios/*.json; do
    name=$(basename "$scenario" .json)
    use_capacity "$(field "$scenario" model "")" "$(field "$scenario" images_per_request 1)"
    .build/release/zenith-load run "$scenario" --compare dense,slo --capacity-file "$capacity_file" \
        --out "$out/$name" "$@"
done
echo "reports: $out/*/report.md"
