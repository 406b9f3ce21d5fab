#!/usr/bin/env bash
# Turns a trained classifier into a Zenith model folder ready to serve with SLO plans:
#
#   scripts/prepare.sh --onnx model.onnx --data data.npz --name my-model [--repository Models]
#                      [--split 0.8,0.1,0.1] [--branches 1] [--branch-at T[,T]] [--finetune EPOCHS]
#
# model.onnx: as torch.onnx.export writes it (opset >= 13), one input, class logits out.
# data.npz:   x (N x input shape, float32, or any shape with as many values per sample),
#             y (N labels), optionally labels (class names) and split (0 train, 1 validation,
#             2 test; without it: first 80% / next 10% / last 10%).
# --branch-at: where the exit heads go, each a tensor name or a fraction of the dense
#             multiply-adds (default: one head near 27.5%). --finetune EPOCHS: also train the
#             whole network for its plans (exits, widths, filters; changes its weights).
# It installs what it needs (Debian packages, a Python environment .venv-train from PyPI, the
# release build), imports the graph (an unsupported op is refused, naming the node), computes
# importance tables (Captum DeepLIFT), trains early-exit heads on the frozen network, searches
# plans on the validation split, and writes <repository>/<name>: config, labels, weights,
# golden outputs, accuracy per plan, the ONNX file, and each plan's latency measured here
# (also in Profiles/<name>/latency.json, this machine's cache: a server elsewhere re-measures
# at start-up). Finished steps are cached under Models/training/out/prepare/.
set -euo pipefail
caller=$(pwd)
cd "$(dirname "$0")/.."
root=$(pwd)

# Paths are taken relative to where the command was run.
absolute() { case "$1" in /*) echo "$1" ;; *) realpath -m "$caller/$1" ;; esac; }
name="" data="" repository="$root/Models" passed=()
while [ $# -gt 0 ]; do
    case "$1" in
        -h|--help) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; exit 0 ;;
        --name|--onnx|--data|--repository|--work|--split|--branches|--branch-at|--finetune|--seed)
            [ $# -ge 2 ] || { echo "prepare: $1 needs a value" >&2; exit 2; } ;;
        *) echo "prepare: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
    value=$2
    case "$1" in
        --name) name=$value ;;
        --data) data=$(absolute "$value"); value=$data ;;
        --onnx|--work) value=$(absolute "$value") ;;
        --repository) repository=$(absolute "$value") ;;
    esac
    [ "$1" = --repository ] || passed+=("$1" "$value")
    shift 2
done
[ -n "$name" ] || { echo "prepare: --name is required (see --help)" >&2; exit 2; }
[ -n "$data" ] || { echo "prepare: --data is required (see --help)" >&2; exit 2; }

scripts/setup.sh --train
echo "prepare: building zenith (release)" >&2
swift build -c release --product zenith >&2

prepare() { (cd Models/training && "$root/.venv-train/bin/python" -m zenith_prepare "${passed[@]}" --repository "$repository" "$@"); }
profile() {  # profile DIR: each plan's latency per batch size on this machine, into DIR/<name>/latency.json
    .build/release/zenith profile --repository "$repository" --model "$name" --data "$data" --latency-only \
        --profiles "$1" >&2
}

# Candidates: the frontier of validation accuracy against multiply-adds (up to 16 plans) ...
prepare --max-plans 16
candidates=$(mktemp -d)
trap 'rm -rf "$candidates"' EXIT
echo "prepare: measuring the candidate plans' latency on this machine" >&2
profile "$candidates"
# ... then the frontier of validation accuracy against their measured latency (up to 10).
prepare --latency "$candidates/$name/latency.json"
echo "prepare: measuring the shipped plans' latency (Profiles/$name/latency.json)" >&2
profile "$root/Profiles"
# The folder carries it too, as the prior of a server on a machine with no profile of its own.
cp "$root/Profiles/$name/latency.json" "$repository/$name/1/latency.json"
echo "prepare: done: $repository/$name (serve it with scripts/serve.sh --repository $repository)"
