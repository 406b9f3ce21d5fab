#!/usr/bin/env bash
# Runs every test of Zenith: installs what it needs, runs the unit and integration tests
# (swift-testing), the protocol test with a real client (Python tritonclient against
# `zenith serve`), the model-preparation tests (ONNX import and refusals, the PyTorch reference
# of every plan kind, torchvision architectures against ONNX Runtime), then `zenith eval` on the
# real Fashion-MNIST test set for every model, a bounded fuzzing run of every parser, and last
# the unit and integration tests again under AddressSanitizer (with LeakSanitizer) and under
# ThreadSanitizer (docs/SANITIZERS.md: each is a debug build of its own, .build-asan and
# .build-tsan, and fails on any report).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
swift build -c release --product zenith
swift test

# tritonclient[http] and pytest live in .venv; the fixture starts .build/release/zenith serve.
scripts/setup.sh --python
.venv/bin/python -m pytest -p no:cacheprovider LoadTests/clients -q

scripts/setup.sh --train
ZENITH_SLOW_TESTS=1 .venv-train/bin/python -m pytest -p no:cacheprovider Models/training/tests -q

# Fuzzing, bounded (docs/FUZZING.md): the fuzzer build, then every target from its committed
# corpus (a regression case that crashes again fails here) for 20 s.
scripts/fuzz.sh ci 20

# Every committed model was prepared from Fashion-MNIST's .npz (Models/training/fashion_npz.py).
mkdir -p .build/reports .build/data
[ -f .build/data/fashion-mnist.npz ] || .venv-train/bin/python Models/training/fashion_npz.py --out .build/data/fashion-mnist.npz
for model_dir in Models/*/; do
    model=$(basename "$model_dir")
    [ -f "$model_dir/config.json" ] || continue
    echo "== zenith eval --model $model (10k test images, batch-1 latency)"
    .build/release/zenith eval --model "$model" --data .build/data/fashion-mnist.npz --json > ".build/reports/eval-$model.json"
    .build/release/zenith eval --model "$model" --data .build/data/fashion-mnist.npz --plans dense
done

echo "== deploy/ validation"
deploy/validate.sh

# The sanitizers last: the longest part, so the checks above report first. The release server
# under the client tests with AddressSanitizer (`scripts/sanitize.sh asan-clients`) is not run
# here: its own release build costs about as much as the asan run, for the frontend that the
# asan run already exercises in-process.
echo "== the suite under AddressSanitizer"
scripts/sanitize.sh asan
echo "== the suite under ThreadSanitizer"
scripts/sanitize.sh tsan
