"""Model folder writing: contents per the contract, atomic replacement, nothing left on failure."""
import json

import numpy as np
import pytest
from onnx import helper
from safetensors.numpy import load_file

from conftest import GraphModule, import_onnx, make_model, rand
from zenith_prepare.golden import golden_tensors
from zenith_prepare.writer import build_config, write_model_folder


def imported():
    inits = {"w": rand(4, 1, 3, 3), "b": rand(4, seed=1), "fw": rand(3, 4 * 2 * 2, seed=2), "fb": rand(3, seed=3)}
    nodes = [helper.make_node("Conv", ["input", "w", "b"], ["c"], name="conv", pads=[1, 1, 1, 1]),
             helper.make_node("Relu", ["c"], ["r"], name="relu"),
             helper.make_node("MaxPool", ["r"], ["p"], name="pool", kernel_shape=[2, 2], strides=[2, 2]),
             helper.make_node("Flatten", ["p"], ["f"], name="flat"),
             helper.make_node("Gemm", ["f", "fw", "fb"], ["logits"], name="fc", transB=1)]
    model = make_model(nodes, (1, 4, 4), inits=inits, in_name="input", out_name="logits")
    return model, import_onnx(model)


def pieces():
    model, m = imported()
    plans = [{"name": "dense"}]
    gm = GraphModule(m.graph, m.weights, m.input_dims)
    golden = golden_tensors(gm, plans, rand(5, 1, 4, 4, seed=4), np.arange(5) % 3)
    config = build_config("tiny", m.graph, m.input_dims, plans, num_classes=3,
                          data={"validation": "none"})
    return model, m, config, golden


def test_writes_folder_per_contract(tmp_path):
    model, m, config, golden = pieces()
    dest = write_model_folder(tmp_path / "tiny", config, ["a", "b", "c"], m.weights, golden,
                              model.SerializeToString())
    cfg = json.loads((dest / "config.json").read_text())
    assert cfg["inputs"] == [{"name": "input", "datatype": "FP32", "dims": [1, 4, 4]}]
    assert cfg["outputs"] == [{"name": "logits", "datatype": "FP32", "dims": [3]}]
    assert cfg["graph"]["nodes"][0] == {"name": "conv", "op": "conv", "inputs": ["input"], "output": "conv",
                                        "stride": [1, 1], "pads": [1, 1, 1, 1], "dilation": [1, 1],
                                        "groups": 1, "activation": "relu"}
    assert (dest / "labels.txt").read_text() == "a\nb\nc\n"
    w = load_file(str(dest / "1" / "model.safetensors"))
    assert sorted(w) == ["conv.bias", "conv.weight", "fc.bias", "fc.weight"]
    g = load_file(str(dest / "1" / "golden.safetensors"))
    assert g["input"].dtype == np.float32 and g["label"].dtype == np.int64
    assert g["output.dense"].shape == (5, 3)
    assert (dest / "1" / "model.onnx").stat().st_size > 0
    assert [p.name for p in tmp_path.iterdir()] == ["tiny"]  # no temporary left behind


def test_refuses_bad_contents_and_leaves_nothing(tmp_path):
    model, m, config, golden = pieces()
    with pytest.raises(ValueError, match="labels"):
        write_model_folder(tmp_path / "tiny", config, ["a", "b"], m.weights, golden, model.SerializeToString())
    bad = dict(golden, **{"label": golden["label"].astype(np.int32)})
    with pytest.raises(ValueError, match="golden tensor label"):
        write_model_folder(tmp_path / "tiny", config, ["a", "b", "c"], m.weights, bad, model.SerializeToString())
    with pytest.raises(Exception):
        write_model_folder(tmp_path / "tiny", config, ["a", "b", "c"], m.weights, golden, b"garbage")
    assert list(tmp_path.iterdir()) == []


def test_overwrite_replaces_atomically(tmp_path):
    model, m, config, golden = pieces()
    dest = tmp_path / "tiny"
    write_model_folder(dest, config, ["a", "b", "c"], m.weights, golden, model.SerializeToString())
    with pytest.raises(FileExistsError):
        write_model_folder(dest, config, ["a", "b", "c"], m.weights, golden, model.SerializeToString())
    write_model_folder(dest, config, ["x", "y", "z"], m.weights, golden, model.SerializeToString(), overwrite=True)
    assert (dest / "labels.txt").read_text() == "x\ny\nz\n"
    assert [p.name for p in tmp_path.iterdir()] == ["tiny"]
