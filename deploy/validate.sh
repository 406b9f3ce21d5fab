#!/usr/bin/env bash
# Validates deploy/ without a cluster: promtool on the alerting rules (syntax, and unit tests of
# when they fire), then deploy/validate.py (schemas, and agreement with the server's sources:
# metric names and labels, serve flags, routes, ports). Installs nothing: scripts/setup.sh
# installs promtool (Debian's prometheus package) and, with --python, the .venv it runs in.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v promtool >/dev/null; then
    echo "deploy/validate.sh: promtool not found: apt-get install prometheus (scripts/setup.sh installs it)" >&2
    exit 1
fi
if [ ! -x .venv/bin/python ]; then
    echo "deploy/validate.sh: .venv/bin/python not found: run scripts/setup.sh --python" >&2
    exit 1
fi

promtool check rules deploy/monitoring/alerts.yaml
promtool test rules deploy/monitoring/alerts_test.yaml
.venv/bin/python deploy/validate.py
