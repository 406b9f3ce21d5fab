"""Shared command line, training loop, evaluation and ONNX export for the zoo models: stock
torchvision classifiers trained briefly on a labelled `.npz` (see fashion_npz.py) and exported
as the kind of `model.onnx` a user would hand to `scripts/prepare.sh --onnx`."""
import argparse
import json
import math
import os
import sys
import time
from dataclasses import asdict, dataclass

# Read once when torch loads OpenMP, so set before importing torch: on a machine shared with
# other jobs, threads that spin at every barrier wait for descheduled peers and halve throughput.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

TRAINING_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, TRAINING_DIR)

from common import acc_of, predict, seed_all, setup_torch  # noqa: E402
from data import random_shift  # noqa: E402
from fashion_npz import DEFAULT_OUT as DEFAULT_NPZ, split_indices  # noqa: E402

OUT_DIR = os.path.join(TRAINING_DIR, "out")
ONNX_OPSET = 17
ONNX_OPSET_DYNAMO = 18
ONNX_MAX_REL_DIFF = 1e-4
LOG_EVERY_S = 5.0

_T0 = time.time()


def log(msg):
    print(f"[{time.time() - _T0:7.1f}s] {msg}", file=sys.stderr, flush=True)


@dataclass
class TrainConfig:
    """Hyper-parameters; every field is also a command-line option of the model's script."""
    epochs: int
    batch_size: int = 256
    max_lr: float = 3e-3
    weight_decay: float = 0.05
    label_smoothing: float = 0.0
    shift: int = 2          # random translation of up to +-shift pixels
    flip: bool = True       # random horizontal flip: Fashion-MNIST items are left-right symmetric
    seed: int = 1


def one_channel(conv):
    """Returns `conv` rebuilt for 1 input channel, everything else unchanged, initialised the
    way torchvision initialises its conv layers, so the network stays torchvision's apart from
    its input width."""
    new = nn.Conv2d(1, conv.out_channels, conv.kernel_size, stride=conv.stride, padding=conv.padding,
                    dilation=conv.dilation, groups=conv.groups, bias=conv.bias is not None,
                    padding_mode=conv.padding_mode)
    nn.init.kaiming_normal_(new.weight, mode="fan_out", nonlinearity="relu")
    if new.bias is not None:
        nn.init.zeros_(new.bias)
    return new


def load_npz(path):
    """Returns {"train", "val", "test"} -> (x float32 [N,1,28,28], y int64 [N]) torch tensors."""
    with np.load(path) as z:
        x, y = z["x"], z["y"]
        parts = split_indices(z)
    return {name: (torch.from_numpy(np.ascontiguousarray(x[idx])), torch.from_numpy(y[idx]))
            for name, idx in parts.items()}


def _cl(x):
    # channels_last is markedly faster for these convolutions on CPU.
    return x.contiguous(memory_format=torch.channels_last)


def evaluate(model, x, y):
    model.eval()
    return acc_of(predict(lambda xb: model(_cl(xb)), x, bs=500), y) if len(y) else float("nan")


def train(model, data, cfg, max_steps=None):
    """Trains `model` in place with AdamW and a one-cycle schedule; returns per-epoch records.
    max_steps stops early (for timing an epoch) without changing the schedule's length."""
    seed_all(cfg.seed)
    gen = torch.Generator().manual_seed(cfg.seed + 100)
    xtr, ytr = data["train"]
    n = len(ytr)
    steps_per_epoch = math.ceil(n / cfg.batch_size)
    model.to(memory_format=torch.channels_last)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.max_lr, weight_decay=cfg.weight_decay)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=cfg.max_lr, total_steps=cfg.epochs * steps_per_epoch,
                                                pct_start=0.25)
    history = []
    step = 0
    for ep in range(cfg.epochs):
        model.train()
        perm = torch.randperm(n, generator=gen)
        t_ep = time.time()
        t_log = t_ep
        loss_sum = correct = seen = 0
        for i in range(0, n, cfg.batch_size):
            idx = perm[i:i + cfg.batch_size]
            xb = random_shift(xtr[idx], gen, pad=cfg.shift, flip=cfg.flip) if cfg.shift or cfg.flip else xtr[idx]
            logits = model(_cl(xb))
            loss = F.cross_entropy(logits, ytr[idx], label_smoothing=cfg.label_smoothing)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            step += 1
            loss_sum += float(loss.detach()) * len(idx)
            correct += int((logits.detach().argmax(1) == ytr[idx]).sum())
            seen += len(idx)
            now = time.time()
            if now - t_log >= LOG_EVERY_S:
                t_log = now
                done = i // cfg.batch_size + 1
                log(f"  epoch {ep + 1}/{cfg.epochs} step {done}/{steps_per_epoch} loss {loss_sum / seen:.4f} "
                    f"train acc {correct / seen:.4f} ({(now - t_ep) / done * 1000:.0f} ms/step, "
                    f"epoch ~{(now - t_ep) / done * steps_per_epoch:.0f} s)")
            if max_steps is not None and step >= max_steps:
                return [{"steps": step, "seconds": time.time() - t_ep}]
        epoch_s = time.time() - t_ep
        val = evaluate(model, *data["val"])
        history.append({"epoch": ep + 1, "loss": loss_sum / seen, "train_acc": correct / seen, "val_acc": val,
                        "epoch_s": round(epoch_s, 1)})
        log(f"epoch {ep + 1}/{cfg.epochs} loss {loss_sum / seen:.4f} train acc {correct / seen:.4f} "
            f"val acc {val:.4f} ({epoch_s:.1f} s)")
    return history


def export_onnx(model, path, xcheck, exporter="torchscript"):
    """Writes `model` (eval mode) to `path` with a dynamic batch dimension and checks
    onnxruntime against PyTorch on `xcheck`, at batch sizes len(xcheck) and 1.
    Returns (max abs diff, max rel diff), rel = |ort - torch| / max |torch| over the batch,
    since an element-wise ratio is meaningless for logits near zero.
    exporter: "torchscript" (opset 17; keeps Flatten and GlobalAveragePool as single ops) or
    "dynamo" (opset 18, the default of torch.onnx.export today; writes ReduceMean + Reshape)."""
    import onnxruntime as ort

    model = model.eval().to(memory_format=torch.contiguous_format)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    names = {"input_names": ["input"], "output_names": ["logits"]}
    if exporter == "dynamo":
        torch.onnx.export(model, (xcheck[:1],), path, **names, opset_version=ONNX_OPSET_DYNAMO, dynamo=True,
                          dynamic_shapes={"x": {0: torch.export.Dim("batch")}}, external_data=False)
    else:
        torch.onnx.export(model, (xcheck[:1],), path, **names, opset_version=ONNX_OPSET, dynamo=False,
                          dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    with torch.no_grad():
        ref = model(xcheck).numpy()
    abs_diff = rel_diff = 0.0
    for got, want in ((sess.run(["logits"], {"input": xcheck.numpy()})[0], ref),
                      (sess.run(["logits"], {"input": xcheck[:1].numpy()})[0], ref[:1])):
        d = float(np.abs(got - want).max())
        abs_diff = max(abs_diff, d)
        rel_diff = max(rel_diff, d / float(np.abs(want).max()))
    if rel_diff > ONNX_MAX_REL_DIFF:
        raise RuntimeError(f"{path}: onnxruntime differs from PyTorch by {rel_diff:.2e} (relative), "
                           f"limit {ONNX_MAX_REL_DIFF:.0e}")
    return abs_diff, rel_diff


def op_counts(path):
    """Returns {op type: count} over the nodes of the ONNX graph at `path`."""
    import onnx

    counts = {}
    for node in onnx.load(path).graph.node:
        counts[node.op_type] = counts.get(node.op_type, 0) + 1
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def main(name, build, defaults, input_shape=None):
    """Command line of a zoo script: trains `build()` on the npz, reports validation and test
    accuracy, exports `model.onnx` and writes `weights.pt` (state dict) and `train.json`
    (configuration, per-epoch log, accuracies, ONNX check and op counts) beside it.
    input_shape: the exported model's per-sample input shape when it is not the images' own
    (the model must accept both, e.g. an MLP that flattens its input)."""
    ap = argparse.ArgumentParser(description=sys.modules["__main__"].__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    default_out = os.path.join(OUT_DIR, name, "model.onnx")
    ap.add_argument("--npz", default=DEFAULT_NPZ, help=f"labelled data (default: {DEFAULT_NPZ})")
    ap.add_argument("--out", default=default_out, help=f"ONNX file to write (default: {default_out})")
    ap.add_argument("--exporter", default="torchscript", choices=["torchscript", "dynamo"],
                    help="torch.onnx.export path (default: torchscript, see export_onnx)")
    ap.add_argument("--from-weights", action="store_true",
                    help="skip training: load weights.pt from beside --out and only export")
    ap.add_argument("--time-steps", type=int, default=0, metavar="N",
                    help="only time N training steps, print the extrapolated epoch time and exit")
    for field, value in asdict(defaults).items():
        flag = "--" + field.replace("_", "-")
        if isinstance(value, bool):
            ap.add_argument(flag, action=argparse.BooleanOptionalAction, default=value)
        else:
            ap.add_argument(flag, type=type(value), default=value, help=f"default: {value}")
    args = ap.parse_args()
    cfg = TrainConfig(**{k: getattr(args, k) for k in asdict(defaults)})

    setup_torch()
    data = load_npz(args.npz)
    log(f"{name}: train/val/test {len(data['train'][1])}/{len(data['val'][1])}/{len(data['test'][1])} "
        f"from {args.npz}; {cfg}")
    seed_all(cfg.seed)
    model = build()
    log(f"{name}: {sum(p.numel() for p in model.parameters()) / 1e6:.2f} M parameters")

    if args.time_steps:
        warmup = min(5, args.time_steps)
        train(model, data, cfg, max_steps=warmup)
        t = time.time()
        train(model, data, cfg, max_steps=args.time_steps)
        per_step = (time.time() - t) / args.time_steps
        steps = math.ceil(len(data["train"][1]) / cfg.batch_size)
        log(f"{name}: {per_step * 1000:.0f} ms/step at batch {cfg.batch_size} -> ~{per_step * steps:.0f} s/epoch")
        return

    weights = os.path.join(os.path.dirname(os.path.abspath(args.out)), "weights.pt")
    report_path = os.path.join(os.path.dirname(os.path.abspath(args.out)), "train.json")
    if args.from_weights:
        model.load_state_dict(torch.load(weights))
        with open(report_path) as f:
            report = json.load(f)
    else:
        t = time.time()
        history = train(model, data, cfg)
        train_s = time.time() - t
        val, test = evaluate(model, *data["val"]), evaluate(model, *data["test"])
        log(f"{name}: trained in {train_s / 60:.1f} min; val acc {val:.4f}, test acc {test:.4f}")
        os.makedirs(os.path.dirname(weights), exist_ok=True)
        torch.save(model.state_dict(), weights)
        report = {"model": name, "npz": os.path.abspath(args.npz), "config": asdict(cfg),
                  "val_acc": val, "test_acc": test, "train_minutes": round(train_s / 60, 2), "epochs": history,
                  "torch": torch.__version__, "onnx": {}}

    xcheck = data["val"][0][:256]
    if input_shape is not None:
        xcheck = xcheck.reshape(-1, *input_shape)
    abs_diff, rel_diff = export_onnx(model, args.out, xcheck, args.exporter)
    ops = op_counts(args.out)
    log(f"{name}: wrote {args.out}; onnxruntime vs PyTorch max abs diff {abs_diff:.2e}, rel {rel_diff:.2e}")
    log(f"{name}: ONNX ops {ops}")
    report["onnx"][os.path.basename(args.out)] = {
        "exporter": args.exporter, "opset": ONNX_OPSET_DYNAMO if args.exporter == "dynamo" else ONNX_OPSET,
        "max_abs_diff": abs_diff, "max_rel_diff": rel_diff, "ops": ops}
    with open(report_path, "w") as f:
        json.dump(report, f, indent=2)
        f.write("\n")
