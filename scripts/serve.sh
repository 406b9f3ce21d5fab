#!/usr/bin/env bash
# Builds Zenith and serves every model in Models/ over the Open Inference Protocol (HTTP/1.1 and
# h2c) on port 8000. Arguments go to `zenith serve` (`--port`, `--workers`, `--dense-only`, ...).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
swift build -c release --product zenith
exec .build/release/zenith serve "$@"
