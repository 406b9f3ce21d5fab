#!/usr/bin/env python3
"""Self-check of the exported model folders with numpy only (no torch).

Reloads config.json, model.safetensors and golden.safetensors, re-implements Models/FORMAT.md
per sample in plain numpy (computing only the kept neurons / selected filters from only the
computed inputs) and compares against the golden outputs and masks.

    python Models/training/check_export.py --out Models [--plans all|dense,exit-050,...]
"""
import argparse
import json
import os
import sys

import numpy as np
from safetensors.numpy import load_file

TOL = 1e-4


def softmax_max(z):
    z = z.astype(np.float32)
    e = np.exp(z - z.max())
    return float((e / e.sum()).max())


def select_filters(bl, table, classes, per_class, cap):
    order = sorted(range(len(bl)), key=lambda c: (-float(bl[c]), c))[:classes]
    n_f = table.shape[1]
    union = set()
    for c in order:
        union |= set(sorted(range(n_f), key=lambda f: (-float(table[c, f]), f))[:per_class])
    score = {}
    for f in union:
        s = 0.0  # python float = float64, summed in descending-logit order
        for c in order:
            s += float(table[c, f])
        score[f] = s
    chosen = sorted(union, key=lambda f: (-score[f], f))
    if len(chosen) > cap:
        chosen = chosen[:cap]
    mask = np.zeros(n_f, dtype=bool)
    mask[sorted(chosen)] = True
    return mask


def conv2d(x, act_in, w, b, out_sel, stride, pad):
    """x [C,H,W]; computes only filters in out_sel from only channels in act_in."""
    ci = np.flatnonzero(act_in)
    co = np.flatnonzero(out_sel)
    c, h, wd = x.shape
    k = w.shape[2]
    xp = np.zeros((len(ci), h + 2 * pad, wd + 2 * pad), dtype=np.float32)
    xp[:, pad:pad + h, pad:pad + wd] = x[ci]
    ho = (h + 2 * pad - k) // stride + 1
    wo = (wd + 2 * pad - k) // stride + 1
    cols = np.empty((len(ci), k, k, ho, wo), dtype=np.float32)
    for i in range(k):
        for j in range(k):
            cols[:, i, j] = xp[:, i:i + stride * ho:stride, j:j + stride * wo:stride]
    wm = w[co][:, ci].reshape(len(co), -1)
    y = np.zeros((w.shape[0], ho, wo), dtype=np.float32)
    y[co] = (wm @ cols.reshape(-1, ho * wo)).reshape(len(co), ho, wo) + b[co][:, None, None]
    return y


def maxpool(x, k, s):
    c, h, w = x.shape
    ho, wo = (h - k) // s + 1, (w - k) // s + 1
    out = np.full((c, ho, wo), -np.inf, dtype=np.float32)
    for i in range(k):
        for j in range(k):
            out = np.maximum(out, x[:, i:i + s * ho:s, j:j + s * wo:s])
    return out


def run_ops(ops, x, act, W, width, filt_sel):
    for op in ops:
        kind = op["op"]
        if kind == "conv2d":
            w, b = W[op["name"] + ".weight"], W[op["name"] + ".bias"]
            sel = filt_sel.get(op["name"], np.ones(w.shape[0], dtype=bool))
            x = conv2d(x, act, w, b, sel, op.get("stride", 1), op.get("padding", 0))
            if op.get("relu"):
                x = np.maximum(x, 0)
            x[~sel] = 0
            act = sel
        elif kind == "maxpool2d":
            x = maxpool(x, op["kernel"], op["stride"])
        elif kind == "global_avgpool":
            x = x.mean(axis=(1, 2), dtype=np.float32)
        elif kind in ("flatten", "linear") and x.ndim == 3:
            act = np.repeat(act, x.shape[1] * x.shape[2])
            x = x.reshape(-1)
        if kind == "linear":
            w, b = W[op["name"] + ".weight"], W[op["name"] + ".bias"]
            cfg = width.get(op["name"], {})
            keep = min(cfg.get("keep", w.shape[0]), w.shape[0])
            ci = np.flatnonzero(act)
            y = np.zeros(w.shape[0], dtype=np.float32)
            y[:keep] = w[:keep][:, ci] @ x[ci] + b[:keep]
            if op.get("relu"):
                y = np.maximum(y, 0)
            act = np.zeros(w.shape[0], dtype=bool)
            act[:keep] = True
            if "topk" in cfg and cfg["topk"] < keep:
                top = sorted(range(keep), key=lambda i: (-float(y[i]), i))[:cfg["topk"]]
                act = np.zeros(w.shape[0], dtype=bool)
                act[top] = True
                y[~act] = 0
            x = y
    return x, act


def run_sample(cfg, W, plan, x):
    net = cfg["network"]
    branch = net.get("branch")
    width = plan.get("width", {})
    exit_cfg, filt = plan.get("exit"), plan.get("filters")
    act = np.ones(x.shape[0], dtype=bool)
    layers = net["layers"]
    split = len(layers)
    if branch is not None and (exit_cfg or filt):
        split = [i for i, op in enumerate(layers) if op.get("name") == branch["after"]][0] + 1
    h, act = run_ops(layers[:split], x, act, W, width, {})
    if split == len(layers):
        return h, None, {}
    bl, _ = run_ops(branch["layers"], h, act.copy(), W, {}, {})
    exited = bool(exit_cfg is not None and softmax_max(bl) >= exit_cfg["threshold"])
    sel = {}
    if filt:
        for layer, c in filt["layers"].items():
            t = W["importance." + layer]
            sel[layer] = (np.zeros(t.shape[1], dtype=bool) if exited
                          else select_filters(bl, t, filt["classes"], c["per_class"], c["cap"]))
    if exited:
        return bl, True, sel
    out, _ = run_ops(layers[split:], h, act, W, width, sel)
    return out, False, sel


def check_model(mdir, plan_filter):
    cfg = json.load(open(os.path.join(mdir, "config.json")))
    W = load_file(os.path.join(mdir, "1", "model.safetensors"))
    G = load_file(os.path.join(mdir, "1", "golden.safetensors"))
    ok = True
    assert all(v.dtype == np.float32 for v in W.values()), "weights must be F32"
    assert G["input"].dtype == np.float32 and G["label"].dtype == np.int64
    assert cfg["plans"][0] == {"name": "dense"}, "dense must be the first plan"
    n = G["input"].shape[0]
    # importance tables: rows sum to 1; MLP prefix order (stored order = DeepLIFT ranking used)
    for k, t in W.items():
        if k.startswith("importance."):
            assert np.allclose(t.sum(1), 1.0, atol=1e-4), k
            g = t.astype(np.float64).mean(0)
            if cfg["network"].get("branch") is None:
                inv = int((np.diff(g) > 0).sum())
                rho = np.corrcoef(np.argsort(np.argsort(-g)), np.arange(len(g)))[0, 1]
                print(f"  {k}: {t.shape}, global-order rank correlation {rho:.3f}, "
                      f"{inv} adjacent inversions (table recomputed on final weights)")
    for plan in cfg["plans"]:
        name = plan["name"]
        if plan_filter and name not in plan_filter:
            continue
        ref = G[f"output.{name}"]
        outs, exs, sels = [], [], {}
        for i in range(n):
            o, e, s = run_sample(cfg, W, plan, G["input"][i])
            outs.append(o)
            exs.append(e)
            for layer, m in s.items():
                sels.setdefault(layer, []).append(m)
        outs = np.stack(outs).astype(np.float32)
        rel = float(np.abs(outs - ref).max() / max(np.abs(ref).max(), 1e-12))
        msg = f"  {name:24s} max rel err {rel:.2e}"
        good = rel <= TOL
        if "exit" in plan:
            ex = np.array(exs, dtype=np.uint8)
            same = bool((ex == G[f"exited.{name}"]).all())
            msg += f", exited {int(ex.sum())}/{n} {'match' if same else 'MISMATCH'}"
            good &= same
        if "filters" in plan:
            for layer, ms in sels.items():
                same = bool((np.stack(ms).astype(np.uint8) == G[f"filters.{name}.{layer}"]).all())
                good &= same
                if not same:
                    msg += f", filters.{layer} MISMATCH"
            msg += ", filter masks match" if good else ""
        acc = float((outs.argmax(1) == G["label"]).mean())
        msg += f", golden acc {acc:.3f}"
        print(msg + ("" if good else "  <-- FAIL"))
        ok &= good
    return ok


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="Models")
    ap.add_argument("--model", default="all", choices=["all", "fashion-mlp", "fashion-cnn"])
    ap.add_argument("--plans", default="all", help="comma separated plan names, or 'all'")
    args = ap.parse_args()
    plan_filter = None if args.plans == "all" else set(args.plans.split(","))
    models = ["fashion-mlp", "fashion-cnn"] if args.model == "all" else [args.model]
    ok = True
    for m in models:
        print(m)
        ok &= check_model(os.path.join(args.out, m), plan_filter)
    print("OK" if ok else "FAILED")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
