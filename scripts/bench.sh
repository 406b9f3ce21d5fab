#!/usr/bin/env bash
# The executor against ONNX Runtime (dense, same weights and inputs, one thread each,
# interleaved in one run), for every model at batch 1 and 32; prints the ratios.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh --python
swift build -c release --product zenith
# The inputs: real test images (every committed model was prepared from Fashion-MNIST).
npz=.build/data/fashion-mnist.npz
[ -f "$npz" ] || { mkdir -p .build/data && .venv/bin/python Models/training/fashion_npz.py --out "$npz"; }
for model_dir in Models/*/; do
    [ -f "$model_dir/config.json" ] || continue
    for batch in 1 32; do
        .build/release/zenith bench --model "$(basename "$model_dir")" --batch "$batch" --data "$npz" --json
    done
done
