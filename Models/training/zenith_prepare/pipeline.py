"""The prepare pipeline: ONNX classifier + labelled .npz -> Zenith model folder.

Steps (each timed; results cached under the work directory in a folder named by a hash of
the ONNX file, the data file and the options, so a rerun resumes after the last finished
step): import + onnxruntime check, branches, importance, fine-tuning (optional), candidate
evaluation, golden + write. The key does not cover this code: after changing it, delete the work directory.
"""
import hashlib
import json
import math
import pickle
import sys
import time
from pathlib import Path

import numpy as np
import torch

from . import branches as branches_mod
from . import data as data_mod
from . import finetune as finetune_mod
from . import importance as importance_mod
from . import plans as plans_mod
from .golden import golden_tensors
from .graph_ref import GraphModule
from .onnx_import import import_onnx
from .progress import say
from .writer import build_config, write_model_folder

ORT_SAMPLES = 64
ORT_TOLERANCE = 1e-4
GOLDEN_SAMPLES = 256


class Cache:
    def __init__(self, root):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def step(self, name, fn, times):
        path = self.root / f"{name}.pkl"
        t0 = time.time()
        if path.exists():
            with open(path, "rb") as f:
                value = pickle.load(f)
            say(f"{name}: reused {path}")
        else:
            value = fn()
            tmp = path.with_suffix(".tmp")
            with open(tmp, "wb") as f:
                pickle.dump(value, f)
            tmp.rename(path)
        times[name] = time.time() - t0
        say(f"{name}: {times[name]:.1f} s")
        return value


def _digest(paths, options):
    h = hashlib.sha256()
    for p in paths:
        with open(p, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
    h.update(json.dumps(options, sort_keys=True).encode())
    return h.hexdigest()[:16]


def ort_check(onnx_path, module, x):
    """Max |graph_ref - onnxruntime| / max |onnxruntime| over x; raises if > tolerance."""
    import onnxruntime as ort

    sess = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    name = sess.get_inputs()[0].name
    try:
        ref = sess.run(None, {name: x})[0]
    except Exception:  # a model exported with a fixed batch of 1
        ref = np.concatenate([sess.run(None, {name: x[i:i + 1]})[0] for i in range(len(x))])
    with torch.no_grad():
        got = module(torch.from_numpy(x)).numpy()
    err = float(np.abs(got - ref.reshape(got.shape)).max() / max(np.abs(ref).max(), 1e-12))
    if err > ORT_TOLERANCE:
        raise RuntimeError(f"graph reference differs from onnxruntime: max relative error {err:.2e} "
                           f"> {ORT_TOLERANCE}")
    return err


def latency_costs(path):
    """Mean batch-1 microseconds by plan name, from a `zenith profile` latency.json."""
    with open(path) as f:
        profile = json.load(f)
    return {p["name"]: p["latency_us"]["1"]["mean"] for p in profile["plans"] if "1" in p.get("latency_us", {})}


def run(onnx_path, data_path, name, repository, split=None, work=None, branches=1, seed=0,
        latency=None, max_plans=10, branch_at=None, finetune=0):
    """branch_at: list of cut tensor names / dense-macs fractions for the heads (overrides
    `branches`); finetune: epochs of fine-tuning for the plans (0: the weights stay the user's)."""
    torch.manual_seed(seed)
    times, t_all = {}, time.time()
    split_fracs = data_mod.parse_split(split)
    options = {"split": split_fracs, "branches": branches, "seed": seed, "version": 1}
    if branch_at:
        options["branch_at"] = branch_at
    if finetune:
        options["finetune"] = finetune
    work = Path(work or Path("out/prepare") / name)
    key = _digest([onnx_path, data_path], options)
    t0 = time.time()
    imported = import_onnx(str(onnx_path))   # UnsupportedModelError propagates to the caller
    classes = imported.output_dims[0]
    ds = data_mod.load(data_path, imported.input_dims, classes, split_fracs)
    times["load"] = time.time() - t0
    say(f"load: {ds.counts} ({ds.rule}), {times['load']:.1f} s")
    cache = Cache(work / key)   # created only once the model and data are accepted
    say(f"work directory {cache.root}")

    def do_import():
        m = GraphModule(imported.graph, imported.weights, imported.input_dims).eval()
        err = ort_check(onnx_path, m, ds.x["validation"][:ORT_SAMPLES])
        say(f"import: {len(imported.graph['nodes'])} nodes, onnxruntime max relative error {err:.2e}")
        return {"graph": imported.graph, "weights": imported.weights, "ort_error": err}
    cache.step("import", do_import, times)

    def do_branches():
        g, w, rep = branches_mod.add_branches(imported, ds, branches, seed, branch_at)
        return {"graph": g, "weights": w, "report": rep}
    br = cache.step("branches", do_branches, times)
    graph = br["graph"]

    def do_importance():
        w, rep = importance_mod.compute(graph, br["weights"], imported.input_dims,
                                        ds.x["train"], ds.y["train"], classes, seed)
        return {"weights": w, "report": rep}
    imp_t = cache.step("importance", do_importance, times)
    weights = imp_t["weights"]
    onnx_out, tuned = onnx_path, None
    if finetune:
        def do_finetune():
            chains = [g for g, _, b in importance_mod.gemm_chains(graph) if b is None]
            w, rep = finetune_mod.finetune(graph, weights, imported.input_dims, ds, chains,
                                           imp_t["report"]["convs"], finetune, seed)
            # The peer benchmark's ONNX file must hold the weights served.
            path = cache.root / "finetuned.onnx"
            finetune_mod.export_dense_onnx(graph, w, imported.input_dims, path)
            m = GraphModule(graph, w, imported.input_dims).eval()
            rep["ort_error"] = ort_check(path, m, ds.x["validation"][:ORT_SAMPLES])
            return {"weights": w, "report": rep}
        tuned = cache.step("finetune", do_finetune, times)
        weights, onnx_out = tuned["weights"], cache.root / "finetuned.onnx"
    module = GraphModule(graph, weights, imported.input_dims).eval()

    def do_candidates():
        ev = plans_mod.Evaluator(module, ds.x["validation"], ds.y["validation"])
        dense = ev._base({})
        conf = {b: torch.softmax(v, 1).max(1).values.numpy() for b, v in dense["branch_logits"].items()}
        cands = plans_mod.candidates(graph, weights, imp_t["report"]["convs"],
                                     importance_mod.gemm_chains(graph), conf)
        say(f"candidates: {len(cands)} plans")
        evals = {p["name"]: ev.evaluate(p) for p in cands}
        for p in cands:
            if plans_mod._derivable(graph, p):
                ev.verify(p)
        return {"plans": cands, "evals": evals}
    cand = cache.step("candidates", do_candidates, times)
    if latency:
        # Only the plans measured here compete; each is judged by its measured latency.
        micros = latency_costs(latency)
        measured = [p for p in cand["plans"] if p["name"] in micros]
        if not measured or measured[0]["name"] != "dense":
            raise FileNotFoundError(f"{latency} has no batch-1 latency of the dense plan")
        evals = {n: dict(e, latency_us=micros[n]) for n, e in cand["evals"].items() if n in micros}
        chosen = plans_mod.choose(measured, evals, cost=lambda e: e["latency_us"], max_plans=max_plans)
        say("plans by measured latency: " + ", ".join(f"{p['name']} {micros[p['name']]:.0f} us" for p in chosen))
    else:
        chosen = plans_mod.choose(cand["plans"], cand["evals"], max_plans=max_plans)

    def do_test():
        ev = plans_mod.Evaluator(module, ds.x["test"], ds.y["test"], what="test")
        return {p["name"]: ev.evaluate(p) for p in chosen} if ds.counts["test"] else {}
    test = cache.step("test-" + hashlib.sha256(json.dumps(chosen).encode()).hexdigest()[:8], do_test, times)

    t0 = time.time()
    val = cand["evals"]
    dense_acc = val["dense"]["accuracy"]
    slo = {"latency_target_ms": 10,
           "accuracy_target": max(0.0, math.floor(round((dense_acc - 0.02) * 1000, 6)) / 1000),
           "policy": "reject"}
    data_entry = {"file": Path(data_path).name, "split_rule": ds.rule, "samples": ds.counts,
                  "plan_accuracy_split": "validation"}
    config = build_config(name, graph, imported.input_dims, chosen, num_classes=classes,
                          max_batch_size=32, slo=slo, data=data_entry)
    gsrc = "test" if ds.counts["test"] else "validation"
    golden = golden_tensors(module, chosen, ds.x[gsrc][:GOLDEN_SAMPLES], ds.y[gsrc][:GOLDEN_SAMPLES])
    dest = Path(repository) / name
    acc_json = {"model": name, "split": "validation", "images": ds.counts["validation"], "plans": [
        {"name": p["name"], "accuracy": round(val[p["name"]]["accuracy"], 4),
         "exit_rate": round(val[p["name"]]["exit_rate"], 4),
         "flops_fraction": round(val[p["name"]]["mean_macs"] / val[p["name"]]["dense_macs"], 4)}
        for p in chosen]}
    write_model_folder(dest, config, ds.labels, weights, golden, str(onnx_out), overwrite=True,
                       extra_json={"1/accuracy.json": acc_json})
    times["write"] = time.time() - t0
    say(f"write: {dest} ({times['write']:.1f} s)")
    times["total"] = time.time() - t_all
    print_table(chosen, val, test, br["report"], tuned and tuned["report"], sys.stderr)
    say("step times: " + ", ".join(f"{k} {v:.1f} s" for k, v in times.items()))
    return dest


def print_table(chosen, val, test, branch_report, finetune_report, out):
    for b in branch_report:
        print(f"branch {b['name']} at {b['at']}: {b['macs_fraction']:.1%} of dense macs, "
              f"val accuracy {b['val_accuracy']:.4f}", file=out)
    if finetune_report:
        before, after = finetune_report["validation_before"], finetune_report["validation_after"]
        print(f"fine-tuned {finetune_report['epochs']} epochs; val accuracy before -> after: "
              + ", ".join(f"{k} {before[k]:.4f} -> {after[k]:.4f}" for k in before), file=out)
    print(f"{'plan':<40} {'val acc':>8} {'test acc':>8} {'mean macs':>10} {'worst macs':>10} {'exit rate':>9}",
          file=out)
    for p in chosen:
        v, t = val[p["name"]], test.get(p["name"])
        d = v["dense_macs"]
        print(f"{p['name']:<40} {v['accuracy']:8.4f} {t['accuracy'] if t else float('nan'):8.4f} "
              f"{v['mean_macs'] / d:10.3f} {v['worst_macs'] / d:10.3f} {v['exit_rate']:9.3f}", file=out)
    print(f"(macs as fractions of dense = {val['dense']['dense_macs'] / 1e6:.1f} M multiply-adds)", file=out)
