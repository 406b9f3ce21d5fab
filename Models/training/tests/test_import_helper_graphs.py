"""ONNX graphs built with onnx.helper: imported graph run by graph_ref matches ONNX Runtime."""
import numpy as np
import pytest
import torch
from onnx import helper

from conftest import GraphModule, assert_matches_ort, import_onnx, make_model, rand


def conv_model(attrs, w_shape, in_shape=(4, 9, 11), bn=True, act="Relu"):
    inits = {"w": rand(*w_shape), "b": rand(w_shape[0], seed=2)}
    nodes = [helper.make_node("Conv", ["x", "w", "b"], ["c"], name="conv", **attrs)]
    last = "c"
    if bn:
        c = w_shape[0]
        inits.update(s=rand(c, seed=3), o=rand(c, seed=4), m=rand(c, seed=5),
                     v=np.abs(rand(c, seed=6)) + 0.5)
        nodes.append(helper.make_node("BatchNormalization", ["c", "s", "o", "m", "v"], ["bn"],
                                      name="bn", epsilon=1e-3))
        last = "bn"
    nodes.append(helper.make_node(act, [last], ["a"], name="act"))
    nodes.append(helper.make_node("Flatten", ["a"], ["y"], name="flat", axis=1))
    return make_model(nodes, in_shape, inits=inits)


@pytest.mark.parametrize("attrs,w_shape", [
    ({"pads": [1, 1, 1, 1]}, (6, 4, 3, 3)),
    ({"strides": [2, 1], "pads": [0, 1, 2, 1]}, (6, 4, 3, 3)),             # asymmetric pads
    ({"dilations": [2, 2], "pads": [2, 2, 2, 2]}, (6, 4, 3, 3)),
    ({"group": 2, "pads": [1, 0, 1, 0], "kernel_shape": [3, 1]}, (6, 2, 3, 1)),
    ({"group": 4, "strides": [2, 2], "pads": [1, 1, 1, 1]}, (4, 1, 3, 3)),  # depthwise
    ({"group": 4, "pads": [0, 0, 1, 1]}, (8, 1, 2, 2)),                     # depthwise multiplier 2
    ({"auto_pad": "SAME_UPPER", "strides": [2, 2]}, (6, 4, 4, 4)),
    ({"auto_pad": "SAME_LOWER"}, (6, 4, 2, 2)),
    ({"auto_pad": "VALID"}, (6, 4, 3, 3)),
])
def test_conv_bn_relu(attrs, w_shape):
    m = assert_matches_ort(conv_model(attrs, w_shape))
    ops = [n["op"] for n in m.graph["nodes"]]
    assert ops == ["conv", "flatten"]  # BN folded, relu fused
    assert m.graph["nodes"][0]["activation"] == "relu"


def test_conv_without_bias_and_standalone_bn_becomes_depthwise():
    inits = {"w": rand(6, 4, 3, 3), "s": rand(6, seed=3), "o": rand(6, seed=4),
             "m": rand(6, seed=5), "v": np.abs(rand(6, seed=6)) + 0.5}
    nodes = [helper.make_node("Conv", ["x", "w"], ["c"], name="conv", pads=[1, 1, 1, 1]),
             helper.make_node("MaxPool", ["c"], ["p"], name="pool", kernel_shape=[2, 2], strides=[2, 2]),
             helper.make_node("BatchNormalization", ["p", "s", "o", "m", "v"], ["bn"], name="bn"),
             helper.make_node("Relu", ["bn"], ["r"], name="relu"),
             helper.make_node("GlobalAveragePool", ["r"], ["g"], name="gap"),
             helper.make_node("Flatten", ["g"], ["y"], name="flat")]
    m = assert_matches_ort(make_model(nodes, (4, 8, 8), inits=inits))
    bn = next(n for n in m.graph["nodes"] if n["name"] == "bn")
    assert bn["op"] == "conv" and bn["groups"] == 6 and bn["activation"] == "relu"
    assert m.weights["bn.weight"].shape == (6, 1, 1, 1)
    assert not m.weights["conv.bias"].any()


@pytest.mark.parametrize("node_attrs,pads_note", [
    ({"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1]}, "symmetric"),
    ({"kernel_shape": [3, 2], "strides": [1, 2], "pads": [0, 1, 2, 0]}, "asymmetric"),
    ({"kernel_shape": [3, 3], "strides": [2, 2], "ceil_mode": 1}, "ceil lowered to pads"),
    ({"kernel_shape": [2, 2], "strides": [2, 2], "auto_pad": "SAME_UPPER"}, "same"),
])
def test_maxpool(node_attrs, pads_note):
    nodes = [helper.make_node("MaxPool", ["x"], ["p"], name="pool", **node_attrs),
             helper.make_node("Flatten", ["p"], ["y"], name="flat")]
    assert_matches_ort(make_model(nodes, (3, 10, 9)))


@pytest.mark.parametrize("include", [0, 1])
@pytest.mark.parametrize("pads", [[1, 1, 1, 1], [0, 1, 2, 0], [0, 0, 0, 0]])
def test_avgpool_count_include_pad(include, pads):
    nodes = [helper.make_node("AveragePool", ["x"], ["p"], name="pool", kernel_shape=[3, 3],
                              strides=[2, 1], pads=pads, count_include_pad=include),
             helper.make_node("Flatten", ["p"], ["y"], name="flat")]
    m = assert_matches_ort(make_model(nodes, (3, 9, 8)))
    assert m.graph["nodes"][0]["count_include_pad"] is bool(include)


def test_avgpool_ceil_mode_without_effect_is_accepted():
    nodes = [helper.make_node("AveragePool", ["x"], ["p"], name="pool", kernel_shape=[2, 2],
                              strides=[2, 2], ceil_mode=1),
             helper.make_node("Flatten", ["p"], ["y"], name="flat")]
    assert_matches_ort(make_model(nodes, (3, 8, 8)))


@pytest.mark.parametrize("trans_b", [0, 1])
def test_gemm_trans_b_alpha_beta(trans_b):
    w = rand(5, 7) if trans_b else rand(7, 5)
    nodes = [helper.make_node("Gemm", ["x", "w", "b"], ["g"], name="fc", transB=trans_b, alpha=0.7, beta=1.3),
             helper.make_node("Softmax", ["g"], ["y"], name="sm", axis=-1)]
    m = assert_matches_ort(make_model(nodes, (7,), inits={"w": w, "b": rand(1, 5, seed=2)}))
    assert [n["op"] for n in m.graph["nodes"]] == ["gemm", "softmax"]
    assert m.weights["fc.weight"].shape == (5, 7)


def test_matmul_add_becomes_gemm_and_bn1d_folds():
    c = 6
    inits = {"w": rand(7, c), "b": rand(c, seed=2), "s": rand(c, seed=3), "o": rand(c, seed=4),
             "m": rand(c, seed=5), "v": np.abs(rand(c, seed=6)) + 0.5, "w2": rand(c, 3, seed=7)}
    nodes = [helper.make_node("MatMul", ["x", "w"], ["mm"], name="mm"),
             helper.make_node("Add", ["b", "mm"], ["a"], name="bias"),
             helper.make_node("BatchNormalization", ["a", "s", "o", "m", "v"], ["bn"], name="bn"),
             helper.make_node("HardSwish", ["bn"], ["h"], name="hs"),
             helper.make_node("MatMul", ["h", "w2"], ["y"], name="mm2")]
    m = assert_matches_ort(make_model(nodes, (7,), inits=inits))
    assert [(n["op"], n.get("activation")) for n in m.graph["nodes"]] == [("gemm", "hardswish"), ("gemm", None)]
    assert m.graph["nodes"][-1]["output"] == "y"


@pytest.mark.parametrize("as_inputs", [True, False])
def test_clip_relu6(as_inputs):
    inits = {"w": rand(5, 7), "b": rand(5, seed=2)}
    if as_inputs:
        inits.update(lo=np.array(0, np.float32), hi=np.array(6, np.float32))
        clip = helper.make_node("Clip", ["g", "lo", "hi"], ["y"], name="clip")
        nodes = [helper.make_node("Gemm", ["x", "w", "b"], ["g"], name="fc", transB=1), clip]
        m = assert_matches_ort(make_model(nodes, (7,), inits=inits))
    else:
        # The attribute form is opset-6 Clip, which ONNX Runtime no longer runs in an opset-13
        # model: compare with torch directly.
        clip = helper.make_node("Clip", ["g"], ["y"], name="clip", min=0.0, max=6.0)
        nodes = [helper.make_node("Gemm", ["x", "w", "b"], ["g"], name="fc", transB=1), clip]
        m = import_onnx(make_model(nodes, (7,), inits=inits))
        x = rand(4, 7, seed=9) * 3
        gm = GraphModule(m.graph, m.weights, m.input_dims)
        want = np.clip(x @ inits["w"].T + inits["b"], 0, 6)
        np.testing.assert_allclose(gm(torch.from_numpy(x)).detach().numpy(), want, rtol=1e-5, atol=1e-5)
    assert m.graph["nodes"] == [{"name": "fc", "op": "gemm", "inputs": ["x"], "output": "y", "activation": "relu6"}]


def test_clip_min_only_is_relu_and_standalone_activations():
    inits = {"lo": np.array(0, np.float32)}
    nodes = [helper.make_node("Clip", ["x", "lo", ""], ["c"], name="clip"),
             helper.make_node("HardSigmoid", ["x"], ["hs"], name="hsig", alpha=1 / 6, beta=0.5),
             helper.make_node("Sigmoid", ["x"], ["s"], name="sig"),
             helper.make_node("HardSwish", ["x"], ["h"], name="hsw"),
             helper.make_node("Add", ["c", "hs"], ["a1"], name="add1"),
             helper.make_node("Mul", ["s", "h"], ["m1"], name="mul1"),
             helper.make_node("Add", ["a1", "m1"], ["y"], name="add2")]
    m = assert_matches_ort(make_model(nodes, (8,), inits=inits))
    assert [n["op"] for n in m.graph["nodes"]][:4] == ["relu", "hardsigmoid", "sigmoid", "hardswish"]


def test_residual_se_concat():
    c = 4
    inits = {"w1": rand(c, c, 3, 3), "b1": rand(c, seed=1), "w2": rand(c, c, 1, 1, seed=2),
             "b2": rand(c, seed=3), "wse": rand(c, c, 1, 1, seed=4), "bse": rand(c, seed=5)}
    nodes = [helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], name="c1", pads=[1, 1, 1, 1]),
             helper.make_node("Relu", ["c1"], ["r1"], name="r1"),
             helper.make_node("GlobalAveragePool", ["r1"], ["g"], name="gap"),
             helper.make_node("Conv", ["g", "wse", "bse"], ["se"], name="se"),
             helper.make_node("HardSigmoid", ["se"], ["sc"], name="hsig", alpha=1 / 6, beta=0.5),
             helper.make_node("Mul", ["sc", "r1"], ["scaled"], name="scale"),  # broadcast operand first
             helper.make_node("Conv", ["scaled", "w2", "b2"], ["c2"], name="c2"),
             helper.make_node("Add", ["c2", "x"], ["res"], name="res"),
             helper.make_node("Relu", ["res"], ["r2"], name="r2"),
             helper.make_node("Concat", ["r2", "x", "r1"], ["cat"], name="cat", axis=1),
             helper.make_node("ReduceMean", ["cat"], ["y"], name="mean", axes=[2, 3], keepdims=0)]
    m = assert_matches_ort(make_model(nodes, (c, 6, 5), inits=inits))
    by = {n["name"]: n for n in m.graph["nodes"]}
    assert by["scale"]["inputs"] == ["r1" if "r1" in by else "c1", "se"]
    assert by["res"]["activation"] == "relu" and by["se"]["activation"] == "hardsigmoid"
    assert [n["op"] for n in m.graph["nodes"]][-2:] == ["global_avgpool", "flatten"]


def test_reshape_squeeze_unsqueeze_and_shape_arithmetic():
    inits = {"w": rand(12, 24), "b": rand(12, seed=1), "shape3": np.array([-1, 3, 2, 2], np.int64),
             "zero": np.array([0], np.int64), "minus1": np.array([-1], np.int64),
             "ax": np.array([2, 3], np.int64)}
    nodes = [helper.make_node("Shape", ["x"], ["shp"], name="shape"),
             helper.make_node("Gather", ["shp", "zero"], ["n"], name="gather", axis=0),
             helper.make_node("Concat", ["n", "minus1"], ["flat_shape"], name="cat_shape", axis=0),
             helper.make_node("Reshape", ["x", "flat_shape"], ["f"], name="view"),
             helper.make_node("Gemm", ["f", "w", "b"], ["g"], name="fc", transB=1),
             helper.make_node("Reshape", ["g", "shape3"], ["r3"], name="to3d"),
             helper.make_node("Relu", ["r3"], ["r"], name="relu"),
             helper.make_node("GlobalAveragePool", ["r"], ["gp"], name="gap"),
             helper.make_node("Squeeze", ["gp", "ax"], ["sq"], name="squeeze"),
             helper.make_node("Unsqueeze", ["sq", "ax"], ["us"], name="unsqueeze"),
             helper.make_node("Flatten", ["us"], ["y"], name="flat")]
    m = assert_matches_ort(make_model(nodes, (2, 3, 4), inits=inits))
    ops = [n["op"] for n in m.graph["nodes"]]
    assert ops == ["flatten", "gemm", "reshape", "relu", "global_avgpool", "flatten", "reshape", "flatten"]
    assert m.graph["nodes"][2]["shape"] == [3, 2, 2]


def test_pad_folds_into_conv_and_identity_dropout_vanish():
    inits = {"w": rand(5, 3, 3, 3), "b": rand(5, seed=1), "pads": np.array([0, 0, 1, 0, 0, 0, 2, 1], np.int64)}
    nodes = [helper.make_node("Identity", ["x"], ["i"], name="id"),
             helper.make_node("Pad", ["i", "pads"], ["p"], name="pad"),
             helper.make_node("Conv", ["p", "w", "b"], ["c"], name="conv", strides=[2, 2]),
             helper.make_node("Dropout", ["c"], ["d"], name="drop"),
             helper.make_node("Flatten", ["d"], ["y"], name="flat")]
    m = assert_matches_ort(make_model(nodes, (3, 7, 8), inits=inits))
    assert m.graph["nodes"][0]["pads"] == [1, 0, 2, 1]


def test_names_are_unique_and_sanitised():
    inits = {"w": rand(4, 3, 1, 1)}
    nodes = [helper.make_node("Conv", ["x", "w"], ["c1"], name="/blk/Conv"),
             helper.make_node("Conv", ["x", "w"], ["c2"], name="blk.Conv"),
             helper.make_node("Add", ["c1", "c2"], ["a"], name=""),
             helper.make_node("GlobalAveragePool", ["a"], ["g"], name="x"),
             helper.make_node("Flatten", ["g"], ["y"], name="y")]
    m = assert_matches_ort(make_model(nodes, (3, 4, 4), inits=inits))
    names = [n["name"] for n in m.graph["nodes"]]
    assert names[:2] == ["blk.Conv", "blk.Conv_2"] and len(set(names)) == len(names)
    assert "x" not in names and "y" not in names  # never equal to the input/output tensor names
    assert m.graph["nodes"][-1]["output"] == "y"
