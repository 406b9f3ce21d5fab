#!/usr/bin/env bash
# Installs what Zenith needs on a fresh Debian machine that has Swift: C libraries, the
# Fashion-MNIST data set; with --python a virtual environment (.venv) for the tools written in
# Python (the ONNX Runtime peer, protocol clients, plots); with --train the model-preparation
# environment (.venv-train: PyTorch, Captum, ONNX, ONNX Runtime; a few GB from PyPI).
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(pkg-config libopenblas-dev libjson-c-dev libnghttp2-dev zlib1g-dev dataset-fashion-mnist nghttp2-client nghttp2-server curl prometheus)
with_python=0
with_train=0
for arg in "$@"; do
    case "$arg" in
        --python) with_python=1 ;;
        --train) with_train=1 ;;
        *) echo "usage: $0 [--python] [--train]" >&2; exit 2 ;;
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
    if [ -n "$sudo" ] && ! command -v sudo >/dev/null; then
        echo "setup: missing Debian packages: ${missing[*]}" >&2
        echo "setup: not root and no sudo here; as root run: apt-get update && apt-get install -y ${missing[*]}" >&2
        exit 1
    fi
    echo "setup: installing ${missing[*]}"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

apt_install "${packages[@]}"

python_env() {  # python_env DIR REQUIREMENTS
    if ! { command -v python3 >/dev/null && python3 -c "import venv, ensurepip" 2>/dev/null; }; then
        apt_install python3 python3-venv
    fi
    if [ ! -x "$1/bin/python" ]; then
        python3 -m venv "$1"
    fi
    "$1/bin/python" -m pip install -q --disable-pip-version-check -r "$2"
}

if [ "$with_python" -eq 1 ]; then
    python_env .venv LoadTests/requirements.txt
fi
if [ "$with_train" -eq 1 ]; then
    echo "setup: model-preparation environment .venv-train (PyTorch and its CUDA wheels: a few GB the first time)" >&2
    python_env .venv-train Models/training/requirements.txt
fi
