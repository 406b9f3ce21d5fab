#!/usr/bin/env bash
# The executor against ONNX Runtime (dense, same weights and inputs, one thread each,
# interleaved in one run), for every model at batch 1 and 32; prints the ratios.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh --python
swift build -c release --product zenith
for model_dir in Models/*/; do
    [ -f "$model_dir/config.json" ] || continue
    for batch in 1 32; do
        .build/release/zenith bench --model "$(basename "$model_dir")" --batch "$batch" --json
    done
done
