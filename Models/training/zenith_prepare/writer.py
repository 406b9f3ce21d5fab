"""Writes a Zenith model folder (Models/FORMAT.md) atomically: everything goes into a
temporary sibling directory that is renamed into place only once complete, so a failed or
interrupted run never leaves a half-written model for the server to load."""
import json
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
import onnx
from safetensors.numpy import save_file

from .graph_ref import infer_shapes, validate_plan

_GOLDEN_DTYPES = {"input": np.float32, "label": np.int64, "output": np.float32,
                  "exited": np.uint8, "filters": np.uint8}


def build_config(name, graph, input_dims, plans, *, num_classes, max_batch_size=32,
                 max_queue_delay_us=500, slo=None, data=None):
    """The config.json object for a graph-format model.

    - Parameters: graph: the contract's graph object (input/output tensor names become the
      interface names); input_dims: per-sample input shape; plans: dense first; slo: defaults
      to 10 ms / accuracy 0 / reject; data: informational description of the data split."""
    return {
        "name": name, "version": 1, "max_batch_size": max_batch_size, "labels": "labels.txt",
        "inputs": [{"name": graph["input"], "datatype": "FP32", "dims": list(input_dims)}],
        "outputs": [{"name": graph["output"], "datatype": "FP32", "dims": [num_classes]}],
        "dynamic_batching": {"max_batch_size": max_batch_size, "max_queue_delay_us": max_queue_delay_us},
        "slo": slo or {"latency_target_ms": 10, "accuracy_target": 0.0, "policy": "reject"},
        "data": data or {},
        "graph": graph,
        "plans": plans,
    }


def check_folder_contents(config, labels, weights, golden):
    """Raise ValueError if the pieces of a model folder disagree with each other or with the
    contract (shapes, weights present, plans valid, golden names and dtypes)."""
    graph, plans = config["graph"], config["plans"]
    dims = config["inputs"][0]["dims"]
    classes = config["outputs"][0]["dims"][0]
    if config["inputs"][0]["name"] != graph["input"] or config["outputs"][0]["name"] != graph["output"]:
        raise ValueError("inputs[0].name / outputs[0].name must be the graph's input / output tensors")
    for k, v in weights.items():
        if np.asarray(v).dtype != np.float32:
            raise ValueError(f"weight {k} is {np.asarray(v).dtype}, F32 required")
    shapes = infer_shapes(graph, weights, dims)
    ends = [graph["output"]] + [b["output"] for b in graph.get("branches", [])]
    for t in ends:
        if shapes[t] != (classes,):
            raise ValueError(f"{t} has per-sample shape {shapes[t]}, [{classes}] required")
    if len(labels) != classes:
        raise ValueError(f"{len(labels)} labels for {classes} classes")
    if not plans or plans[0] != {"name": "dense"}:
        raise ValueError('the first plan must be {"name": "dense"}')
    names = [p["name"] for p in plans]
    if len(set(names)) != len(names):
        raise ValueError(f"duplicate plan names: {names}")
    for p in plans:
        validate_plan(graph, weights, p)
    n = golden["input"].shape[0]
    if tuple(golden["input"].shape[1:]) != tuple(dims):
        raise ValueError(f"golden input {golden['input'].shape} does not match dims {dims}")
    for k, v in golden.items():
        want = _GOLDEN_DTYPES.get(k.split(".")[0])
        if want is None or v.dtype != want or v.shape[0] != n:
            raise ValueError(f"golden tensor {k}: {v.dtype} {v.shape}")
    for p in plans:
        if f"output.{p['name']}" not in golden:
            raise ValueError(f"golden has no output.{p['name']}")


def write_model_folder(dest, config, labels, weights, golden, onnx_source, *, overwrite=False, extra_json=None):
    """Write config.json, labels.txt, 1/model.safetensors, 1/golden.safetensors and
    1/model.onnx into `dest`, atomically.

    - Parameters: dest: the model folder (its parent must exist); weights: name -> F32 array
      (parameters and importance tables); golden: from `golden.golden_tensors`; onnx_source: a
      path to the user's .onnx (external data beside it is embedded) or its bytes; overwrite:
      replace an existing folder.
    - Returns: the folder path. Raises FileExistsError, or ValueError from
      `check_folder_contents` before anything is written."""
    dest = Path(dest)
    if dest.exists() and not overwrite:
        raise FileExistsError(f"{dest} exists (pass overwrite=True to replace it)")
    check_folder_contents(config, labels, weights, golden)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.tmp-", dir=dest.parent))
    try:
        os.chmod(tmp, 0o755)
        with open(tmp / "config.json", "w") as f:
            json.dump(config, f, indent=2)
            f.write("\n")
        with open(tmp / "labels.txt", "w") as f:
            f.write("".join(f"{label}\n" for label in labels))
        (tmp / "1").mkdir()
        save_file({k: np.ascontiguousarray(v, dtype=np.float32) for k, v in sorted(weights.items())},
                  str(tmp / "1" / "model.safetensors"))
        save_file({k: np.ascontiguousarray(v) for k, v in sorted(golden.items())},
                  str(tmp / "1" / "golden.safetensors"))
        _write_onnx(onnx_source, tmp / "1" / "model.onnx")
        # Further JSON files by relative path (1/accuracy.json), inside the same atomic swap.
        for relative, value in (extra_json or {}).items():
            with open(tmp / relative, "w") as f:
                json.dump(value, f, indent=2)
                f.write("\n")
        for p in tmp.rglob("*"):
            os.chmod(p, 0o755 if p.is_dir() else 0o644)
        _fsync_tree(tmp)
        if dest.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{dest.name}.old-", dir=dest.parent))
            os.rename(dest, old / dest.name)
            os.rename(tmp, dest)
            shutil.rmtree(old)
        else:
            os.rename(tmp, dest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return dest


def _write_onnx(source, path):
    """A self-contained copy: weights the exporter put in a side file (the dynamo exporter's
    `model.onnx.data`) are embedded, so the folder never refers outside itself."""
    if isinstance(source, (bytes, bytearray)):
        model = onnx.load_from_string(bytes(source))
    else:
        model = onnx.load(str(source))  # also reads external data next to the file
    onnx.save_model(model, str(path), save_as_external_data=False)


def _fsync_tree(root):
    for p in root.rglob("*"):
        if p.is_file():
            with open(p, "rb") as f:
                os.fsync(f.fileno())
