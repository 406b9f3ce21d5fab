#!/usr/bin/env bash
# Installs what Zenith needs on a fresh Debian machine that has Swift: C libraries, the
# Fashion-MNIST data set, and with --python a virtual environment (.venv) for the tools
# written in Python (the ONNX Runtime peer, protocol clients, plots).
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(pkg-config libopenblas-dev libjson-c-dev libnghttp2-dev zlib1g-dev dataset-fashion-mnist nghttp2-client curl)
with_python=0
for arg in "$@"; do
    case "$arg" in
        --python) with_python=1 ;;
        *) echo "usage: $0 [--python]" >&2; exit 2 ;;
    esac
done

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"

apt_install() {
    local missing=()
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    echo "setup: installing ${missing[*]}"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

apt_install "${packages[@]}"

if [ "$with_python" -eq 1 ]; then
    if ! { command -v python3 >/dev/null && python3 -c "import venv, ensurepip" 2>/dev/null; }; then
        apt_install python3 python3-venv
    fi
    if [ ! -x .venv/bin/python ]; then
        python3 -m venv .venv
    fi
    .venv/bin/python -m pip install -q --disable-pip-version-check -r LoadTests/requirements.txt
fi
