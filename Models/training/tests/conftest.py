"""Shared helpers: import path, single-threaded torch, ONNX model builders, the ORT check."""
import os
import sys

import numpy as np
import onnx
import pytest
import torch
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
torch.set_num_threads(1)

from zenith_prepare.graph_ref import GraphModule  # noqa: E402
from zenith_prepare.onnx_import import import_onnx  # noqa: E402

RTOL = 1e-4


def make_model(nodes, in_shape, out_shape=None, inits=None, opset=17, in_name="x", out_name="y"):
    """An ONNX model with a symbolic batch dimension; inits: {name: numpy array}."""
    vi = helper.make_tensor_value_info(in_name, TensorProto.FLOAT, ["N", *in_shape])
    vo = helper.make_tensor_value_info(out_name, TensorProto.FLOAT,
                                       None if out_shape is None else ["N", *out_shape])
    g = helper.make_graph(nodes, "t", [vi], [vo],
                          initializer=[numpy_helper.from_array(np.asarray(v), k) for k, v in (inits or {}).items()])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 8
    return m


def rand(*shape, seed=0):
    return np.random.RandomState(seed).randn(*shape).astype(np.float32)


def ort_run(model, x):
    import onnxruntime as ort
    # A path stays a path: the dynamo exporter may put weights in a side file next to it.
    data = model.SerializeToString() if isinstance(model, onnx.ModelProto) else str(model)
    sess = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
    name = sess.get_inputs()[0].name
    batch = sess.get_inputs()[0].shape[0]
    if isinstance(batch, int):  # exported with a fixed batch: run one sample at a time
        return np.concatenate([sess.run(None, {name: x[i:i + 1]})[0] for i in range(x.shape[0])])
    return sess.run(None, {name: x})[0]


def assert_matches_ort(model, n=3, seed=1):
    """Import, run graph_ref and ONNX Runtime on the same batch; max |diff| <= 1e-4 * max |ref|.
    Returns the imported model."""
    imported = import_onnx(model)
    x = np.random.RandomState(seed).randn(n, *imported.input_dims).astype(np.float32)
    ref = ort_run(model, x)
    gm = GraphModule(imported.graph, imported.weights, imported.input_dims)
    with torch.no_grad():
        got = gm(torch.from_numpy(x)).numpy()
    assert got.shape == ref.shape
    err = np.abs(got - ref).max() / max(np.abs(ref).max(), 1e-6)
    assert err <= RTOL, f"relative error {err:.2e}"
    return imported


@pytest.fixture
def tmp_onnx(tmp_path):
    def export(module, example, dynamo):
        import warnings
        path = tmp_path / ("dynamo.onnx" if dynamo else "classic.onnx")
        module = module.eval()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if dynamo:
                torch.onnx.export(module, (example,), str(path), input_names=["input"],
                                  output_names=["logits"], dynamo=True, verbose=False)
            else:
                torch.onnx.export(module, (example,), str(path), input_names=["input"],
                                  output_names=["logits"], opset_version=17, dynamo=False,
                                  dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})
        return str(path)
    return export
