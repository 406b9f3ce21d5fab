"""Write Models/<model>/ per Models/FORMAT.md and collect per-plan results."""
import json
import os

import numpy as np
import torch
from safetensors.numpy import save_file

from common import acc_of, log
from data import LABELS
from netexec import run_plan, static_macs

GOLDEN_N = 256


def _run_batched(weights, net, plan, x, bs=1000):
    outs = [run_plan(weights, net, plan, x[i:i + bs]) for i in range(0, x.shape[0], bs)]
    logits = torch.cat([o["logits"] for o in outs])
    macs = torch.cat([o["macs"] for o in outs])
    exited = torch.cat([o["exited"] for o in outs]) if outs[0]["exited"] is not None else None
    return logits, macs, exited


def evaluate_plans(weights, net, plans, data, input_dims):
    dense_macs = static_macs(weights, net, {"name": "dense"}, input_dims)
    res = {}
    for p in plans:
        r = {}
        for split in ("val", "test"):
            x, y = data[split]
            x = x.reshape(x.shape[0], *input_dims)
            logits, macs, exited = _run_batched(weights, net, p, x)
            r[f"{split}_acc"] = round(acc_of(logits, y), 5)
            r[f"{split}_exit_rate"] = round(float(exited.double().mean()), 5) if exited is not None else 0.0
            r[f"{split}_mean_macs_rel"] = round(float(macs.mean()) / dense_macs, 5)
            if split == "test":
                r["observed_max_macs_rel"] = round(float(macs.max()) / dense_macs, 5)
        r["worst_macs_rel"] = round(static_macs(weights, net, p, input_dims) / dense_macs, 5)
        res[p["name"]] = r
        log(f"  {p['name']:24s} val {r['val_acc']:.4f} test {r['test_acc']:.4f} "
            f"exit {r['test_exit_rate']:.3f} mean {r['test_mean_macs_rel']:.3f} worst {r['worst_macs_rel']:.3f}")
    return res, dense_macs


def order_plans(plans, res):
    dense = [p for p in plans if p["name"] == "dense"]
    rest = [p for p in plans if p["name"] != "dense"]
    rest.sort(key=lambda p: (-res[p["name"]]["val_mean_macs_rel"], -res[p["name"]]["worst_macs_rel"]))
    return dense + rest


def nudge_thresholds(weights, net, plans, xg):
    """Keep every exit threshold at least 1e-5 away from the golden samples' branch confidences,
    so float differences between implementations cannot flip an exit decision."""
    for p in plans:
        if "exit" not in p or p["exit"]["threshold"] <= 0.0:
            continue
        r = run_plan(weights, net, {"name": "b", "exit": {"threshold": 2.0}}, xg)
        pm = torch.softmax(r["branch_logits"], dim=1).max(1).values.double()
        t = p["exit"]["threshold"]
        for _ in range(100):
            gap = float((pm - t).abs().min())
            if gap >= 1e-5:
                break
            t = round(t - 2e-5, 6)
        p["exit"]["threshold"] = t


def export_model(out_root, name, res, data):
    net, weights, input_dims = res["network"], res["weights"], res["input_dims"]
    mdir = os.path.join(out_root, name)
    vdir = os.path.join(mdir, "1")
    os.makedirs(vdir, exist_ok=True)
    xte, yte = data["test"]
    xg = xte[:GOLDEN_N].reshape(GOLDEN_N, *input_dims).contiguous()
    yg = yte[:GOLDEN_N]
    plans = res["plans"]
    nudge_thresholds(weights, net, plans, xg)
    log(f"{name}: evaluating {len(plans)} plans on val/test")
    results, dense_macs = evaluate_plans(weights, net, plans, data, input_dims)
    plans = order_plans(plans, results)

    dense_val = results["dense"]["val_acc"]
    config = {
        "name": name,
        "version": 1,
        "max_batch_size": 32,
        "labels": "labels.txt",
        "inputs": [{"name": "input", "datatype": "FP32", "dims": list(input_dims)}],
        "outputs": [{"name": "logits", "datatype": "FP32", "dims": [10]}],
        "dynamic_batching": {"max_batch_size": 32, "max_queue_delay_us": 500},
        "slo": {"latency_target_ms": 10, "accuracy_target": round(dense_val - 0.02, 3), "policy": "reject"},
        "validation": {"source": "train", "start": 55000, "count": 5000},
        "network": net,
        "plans": plans,
    }
    with open(os.path.join(mdir, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
        f.write("\n")
    with open(os.path.join(mdir, "labels.txt"), "w") as f:
        f.write("\n".join(LABELS) + "\n")

    save_file({k: np.ascontiguousarray(v.numpy().astype(np.float32)) for k, v in sorted(weights.items())},
              os.path.join(vdir, "model.safetensors"))

    golden = {"input": xg.numpy().astype(np.float32), "label": yg.numpy().astype(np.int64)}
    for p in plans:
        r = run_plan(weights, net, p, xg)
        golden[f"output.{p['name']}"] = r["logits"].numpy().astype(np.float32)
        if "exit" in p:
            golden[f"exited.{p['name']}"] = r["exited"].numpy().astype(np.uint8)
        if "filters" in p:
            for layer, m in r["filters"].items():
                golden[f"filters.{p['name']}.{layer}"] = m.numpy().astype(np.uint8)
    save_file({k: np.ascontiguousarray(v) for k, v in golden.items()}, os.path.join(vdir, "golden.safetensors"))
    for fn in ("model.safetensors", "golden.safetensors"):
        os.chmod(os.path.join(vdir, fn), 0o644)

    onnx_err = export_onnx(res["onnx_module"], res["onnx_example"], os.path.join(vdir, "model.onnx"), xg)
    log(f"{name}: wrote {mdir} (onnx max |diff| vs torch {onnx_err:.2e})")
    return {"dense_macs": dense_macs, "plans": results, "plan_order": [p["name"] for p in plans],
            "onnx_max_abs_diff": onnx_err, "golden_n": GOLDEN_N}


def export_onnx(module, example, path, xcheck):
    import onnxruntime as ort

    module = module.eval()
    torch.onnx.export(module, (example,), path, input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
                      opset_version=17, dynamo=False)
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    with torch.no_grad():
        ref = module(xcheck).numpy()
    got = sess.run(["logits"], {"input": xcheck.numpy()})[0]
    err = float(np.abs(ref - got).max())
    assert err <= 1e-4, f"onnx mismatch {err}"
    got1 = sess.run(["logits"], {"input": xcheck[:1].numpy()})[0]
    assert np.abs(ref[:1] - got1).max() <= 1e-4
    return err
