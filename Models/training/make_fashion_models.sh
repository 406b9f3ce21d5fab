#!/usr/bin/env bash
# Re-makes Models/fashion-mlp and Models/fashion-cnn the way a user makes theirs: plain PyTorch
# training scripts write ONNX files, and scripts/prepare.sh turns each into a model folder.
#
#   Models/training/make_fashion_models.sh [mlp|cnn|all]    (default all; ~1 h on 2 cores)
#
# The options passed to prepare.sh are the only model-specific choices: the CNN's exit head goes
# after its second convolution (12% of the dense multiply-adds) and both networks are
# fine-tuned for their plans (sandwich widths for the MLP; joint exit and masked filter
# training for the CNN).
set -euo pipefail
cd "$(dirname "$0")/../.."
which=${1:-all}
scripts/setup.sh --train
py=.venv-train/bin/python
npz=Models/training/out/fashion-mnist.npz
[ -f "$npz" ] || $py Models/training/fashion_npz.py --out "$npz"
if [ "$which" = mlp ] || [ "$which" = all ]; then
    $py Models/training/zoo/fashion_mlp.py --npz "$npz"
    scripts/prepare.sh --onnx Models/training/out/fashion_mlp/model.onnx --data "$npz" --name fashion-mlp \
        --finetune 10
fi
if [ "$which" = cnn ] || [ "$which" = all ]; then
    $py Models/training/zoo/fashion_cnn.py --npz "$npz"
    scripts/prepare.sh --onnx Models/training/out/fashion_cnn/model.onnx --data "$npz" --name fashion-cnn \
        --branch-at 0.12 --finetune 6
fi
