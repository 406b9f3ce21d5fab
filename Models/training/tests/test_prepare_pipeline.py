"""The prepare pipeline end to end on a small torch CNN and learnable synthetic data: exit heads
placed by --branch-at (name or fraction), the head's pool rule, fine-tuning (weights change,
importance tables do not, the folder's ONNX holds the served weights), data of another shape
with as many values per sample, and refusals of bad options."""
import json

import numpy as np
import onnxruntime as ort
import pytest
import torch
import torch.nn as nn
from safetensors.numpy import load_file

from conftest import GraphModule
from zenith_prepare import pipeline
from zenith_prepare.branches import cut_points, head_pool
from zenith_prepare.errors import OptionError
from zenith_prepare.onnx_import import import_onnx


def _data(path, n=600, shape=(1, 8, 8), seed=0):
    """Class = the bright quadrant (4 classes), plus noise; x stored in `shape`."""
    rng = np.random.RandomState(seed)
    y = rng.randint(0, 4, n)
    x = rng.rand(n, 1, 8, 8).astype(np.float32) * 0.5
    for i, c in enumerate(y):
        r, col = divmod(int(c), 2)
        x[i, 0, r * 4:(r + 1) * 4, col * 4:(col + 1) * 4] += 1.0
    np.savez(path, x=x.reshape(n, *shape), y=y.astype(np.int64))


def _cnn_onnx(path):
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 8, 3, padding=1), nn.ReLU(),
                        nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                        nn.Linear(16, 4)).eval()
    torch.onnx.export(net, (torch.zeros(1, 1, 8, 8),), str(path), input_names=["input"], output_names=["logits"],
                      opset_version=17, dynamo=False, dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})


def _mlp_onnx(path):
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 4)).eval()
    torch.onnx.export(net, (torch.zeros(1, 64),), str(path), input_names=["input"], output_names=["logits"],
                      opset_version=17, dynamo=False, dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})


def test_head_pool_rule():
    assert head_pool((64, 7, 7)) is None                  # 3136 values: flattened as they are
    assert head_pool((32, 14, 14)) == ("max", 2)          # 6272 -> 32x7x7 = 1568
    assert head_pool((64, 15, 15)) == ("max", 2)          # 64x8x8 = 4096 (last row/column padded)
    assert head_pool((512, 4, 4)) == ("max", 2)           # 512x2x2 = 2048
    assert head_pool((2048, 4, 4)) == ("global", None)    # a 2x2 grid would still be 8192
    assert head_pool((2048, 7, 7)) == ("global", None)


def test_finetune_and_branch_at(tmp_path):
    onnx_path, data_path = tmp_path / "m.onnx", tmp_path / "d.npz"
    _cnn_onnx(onnx_path)
    _data(data_path)
    imported = import_onnx(str(onnx_path))
    cuts = cut_points(imported.graph, imported.weights, imported.input_dims)
    first = cuts[0][1]
    with pytest.raises(OptionError, match="cut tensors and their share"):
        pipeline.run(onnx_path, data_path, "m", tmp_path / "repo", work=tmp_path / "w", branch_at=["nope"])
    assert not (tmp_path / "repo" / "m").exists()

    dest = pipeline.run(onnx_path, data_path, "m", tmp_path / "repo", work=tmp_path / "w", branch_at=[first],
                        finetune=1)
    config = json.loads((dest / "config.json").read_text())
    (branch,) = config["graph"]["branches"]
    assert branch["at"] == first
    assert [n["op"] for n in branch["nodes"]] == ["flatten", "gemm", "gemm"]   # 8x8x8 = 512 values
    served = load_file(str(dest / "1" / "model.safetensors"))
    for k, v in imported.weights.items():
        if k.endswith(".weight"):
            assert not np.array_equal(served[k], v), f"{k} unchanged by fine-tuning"
    # The folder's ONNX is the fine-tuned network: it agrees with the reference on the served weights.
    module = GraphModule(dict(config["graph"], branches=[]), served, imported.input_dims).eval()
    x = np.random.RandomState(1).rand(16, 1, 8, 8).astype(np.float32)
    sess = ort.InferenceSession(str(dest / "1" / "model.onnx"), providers=["CPUExecutionProvider"])
    got = sess.run(None, {sess.get_inputs()[0].name: x})[0]
    with torch.no_grad():
        want = module(torch.from_numpy(x)).numpy()
    assert np.abs(got - want).max() <= 1e-4 * np.abs(want).max()

    # A fraction picks the nearest cut; the tables of a rerun without fine-tuning are the ones
    # fine-tuning started from (fine-tuning keeps them).
    plain = pipeline.run(onnx_path, data_path, "p", tmp_path / "repo", work=tmp_path / "w",
                         branch_at=[cuts[0][2] + 1e-3])
    tables = load_file(str(plain / "1" / "model.safetensors"))
    assert json.loads((plain / "config.json").read_text())["graph"]["branches"][0]["at"] == first
    for k, v in tables.items():
        if k.startswith("importance."):
            np.testing.assert_array_equal(served[k], v)


def test_data_of_another_shape_and_width_finetune(tmp_path):
    onnx_path, data_path = tmp_path / "m.onnx", tmp_path / "d.npz"
    _mlp_onnx(onnx_path)
    _data(data_path, shape=(1, 8, 8))    # the model reads [64]
    dest = pipeline.run(onnx_path, data_path, "m", tmp_path / "repo", work=tmp_path / "w", finetune=1)
    config = json.loads((dest / "config.json").read_text())
    assert config["graph"]["branches"] == []
    names = [p["name"] for p in config["plans"]]
    assert names[0] == "dense" and len(names) >= 2
    assert any(n.startswith("keep-") or n.startswith("topk-") for n in names[1:])
