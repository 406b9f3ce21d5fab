#!/usr/bin/env bash
# Builds Zenith and runs it on the models in Models/. Until the HTTP frontend lands this
# evaluates every model's plans on the real test set (`zenith eval`).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
swift build -c release --product zenith
for model_dir in Models/*/; do
    [ -f "$model_dir/config.json" ] || continue
    .build/release/zenith eval --model "$(basename "$model_dir")" "$@"
done
