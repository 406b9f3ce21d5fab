#!/usr/bin/env bash
# The headline load tests: every scenario of LoadTests/Scenarios run open-loop against
# `zenith serve --dense-only` and `zenith serve` with the same arrival trace (--compare dense,slo),
# reports and plots in LoadTests/reports/headline/<scenario>/.
#
# The dense capacity of each model is measured once (closed loop against --dense-only) and
# passed to every scenario of that model, so relative rates mean the same thing in all of them.
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

# A harness that cannot keep its schedule would measure itself: check it first.
declare -A capacity
for model in fashion-cnn fashion-mlp; do
    .build/release/zenith-load capacity --model "$model" --duration 20 --json "$out/capacity-$model.json"
    capacity[$model]=$(.venv/bin/python -c "import json,sys; print(json.load(open(sys.argv[1]))['requests_per_second'])" "$out/capacity-$model.json")
done
.build/release/zenith-load selfcheck --capacity "${capacity[fashion-cnn]}" --capacity-multiple 5 --duration 20 \
    | tee "$out/selfcheck.txt" || echo "selfcheck FAILED: the figures below may be the harness's, not the server's" | tee -a "$out/selfcheck.txt"

for scenario in LoadTests/Scenarios/*.json; do
    name=$(basename "$scenario" .json)
    model=$(.venv/bin/python -c "import json,sys; print(json.load(open(sys.argv[1]))['model'])" "$scenario")
    .build/release/zenith-load run "$scenario" --compare dense,slo --capacity-file "$out/capacity-$model.json" \
        --out "$out/$name" "$@"
done
echo "reports: $out/*/report.md"
