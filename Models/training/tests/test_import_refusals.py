"""Every refusal path raises UnsupportedModelError naming the node, its op and the supported ops."""
import numpy as np
import pytest
from onnx import helper

from conftest import import_onnx, make_model, rand
from zenith_prepare import UnsupportedModelError


def refusal(nodes, in_shape, inits=None, opset=17):
    with pytest.raises(UnsupportedModelError) as e:
        import_onnx(make_model(nodes, in_shape, inits=inits, opset=opset))
    return str(e.value)


def assert_names(msg, node, op):
    assert f"node '{node}'" in msg and f"(op {op})" in msg, msg
    assert "Supported ONNX ops: Add, AveragePool," in msg, msg
    assert "Traceback" not in msg


def test_lstm():
    inits = {"W": rand(1, 8, 3), "R": rand(1, 8, 2)}
    nodes = [helper.make_node("Flatten", ["x"], ["f"], name="flat"),
             helper.make_node("Unsqueeze", ["f", "ax"], ["s"], name="unsq"),
             helper.make_node("LSTM", ["s", "W", "R"], ["y"], name="rnn", hidden_size=2)]
    inits["ax"] = np.array([0], np.int64)
    msg = refusal(nodes, (3,), inits)
    assert_names(msg, "unsq", "Unsqueeze")  # the batch axis cannot move, before the LSTM is seen
    nodes = [helper.make_node("LSTM", ["x", "W", "R"], ["y"], name="rnn", hidden_size=2)]
    assert_names(refusal(nodes, (3,), inits), "rnn", "LSTM")


def test_resize():
    inits = {"scales": np.array([1, 1, 2, 2], np.float32)}
    nodes = [helper.make_node("Resize", ["x", "", "scales"], ["r"], name="up", mode="nearest"),
             helper.make_node("Flatten", ["r"], ["y"], name="flat")]
    msg = refusal(nodes, (3, 4, 4), inits)
    assert_names(msg, "up", "Resize")
    assert "not supported" in msg


def test_gather_on_computed_tensor():
    nodes = [helper.make_node("Gather", ["x", "idx"], ["y"], name="pick", axis=1)]
    msg = refusal(nodes, (5,), {"idx": np.array([0, 2], np.int64)})
    assert_names(msg, "pick", "Gather")
    assert "depends on the model input" in msg


@pytest.mark.parametrize("make,node,op,what", [
    (lambda: [helper.make_node("MaxPool", ["x"], ["p"], name="mp", kernel_shape=[2, 2], dilations=[2, 2])],
     "mp", "MaxPool", "dilation"),
    (lambda: [helper.make_node("AveragePool", ["x"], ["p"], name="ap", kernel_shape=[3, 3], strides=[2, 2],
                               ceil_mode=1)], "ap", "AveragePool", "ceil_mode=1"),
    (lambda: [helper.make_node("Conv", ["x", "w"], ["p"], name="cv", auto_pad="SAME_WEIRD")],
     "cv", "Conv", "auto_pad=SAME_WEIRD"),
    (lambda: [helper.make_node("HardSigmoid", ["x"], ["p"], name="hs", alpha=0.2)],
     "hs", "HardSigmoid", "alpha=0.2"),
    (lambda: [helper.make_node("Clip", ["x", "lo", "hi"], ["p"], name="clip")], "clip", "Clip", "Clip(min=-1"),
    (lambda: [helper.make_node("Concat", ["x", "x"], ["p"], name="cat", axis=2)], "cat", "Concat", "axis=2"),
    (lambda: [helper.make_node("Flatten", ["x"], ["p"], name="fl", axis=2)], "fl", "Flatten", "axis=2"),
    (lambda: [helper.make_node("Reshape", ["x", "bad"], ["p"], name="rs")], "rs", "Reshape", "batch"),
    (lambda: [helper.make_node("Add", ["x", "row"], ["p"], name="ad")], "ad", "Add", "not per-channel"),
    (lambda: [helper.make_node("Pad", ["x", "pads"], ["p"], name="pd", mode="reflect")], "pd", "Pad", "zero padding"),
    (lambda: [helper.make_node("MaxPool", ["x"], ["p", "i"], name="mpi", kernel_shape=[2, 2]),
              helper.make_node("Cast", ["i"], ["q"], name="cast", to=1),
              helper.make_node("Add", ["p", "q"], ["r"], name="sum")], "mpi", "MaxPool", "output 'i' is used"),
])
def test_unsupported_attributes_on_image_input(make, node, op, what):
    inits = {"w": rand(4, 3, 3, 3), "lo": np.array(-1, np.float32), "hi": np.array(1, np.float32),
             "bad": np.array([3, -1], np.int64), "row": rand(1, 1, 1, 4),
             "pads": np.array([0, 0, 1, 1, 0, 0, 1, 1], np.int64)}
    nodes = make()
    nodes.append(helper.make_node("Flatten", [nodes[-1].output[0]], ["y"], name="final_flatten"))
    msg = refusal(nodes, (3, 4, 4), inits)
    assert_names(msg, node, op)
    assert what in msg, msg


@pytest.mark.parametrize("make,node,op,what", [
    (lambda: helper.make_node("Gemm", ["x", "w"], ["y"], name="fc", transA=1), "fc", "Gemm", "transA=1"),
    (lambda: helper.make_node("Softmax", ["x"], ["y"], name="sm", axis=0), "sm", "Softmax", "axis=0"),
    (lambda: helper.make_node("LeakyRelu", ["x"], ["y"], name="lr"), "lr", "LeakyRelu", "not supported"),
    (lambda: helper.make_node("Gemm", ["w", "x"], ["y"], name="fc2", transB=1), "fc2", "Gemm", "constant"),
])
def test_unsupported_on_flat_input(make, node, op, what):
    msg = refusal([make()], (6,), {"w": rand(6, 6)})
    assert_names(msg, node, op)
    assert what in msg, msg


def test_unnamed_node_is_identified_by_index_and_output():
    msg = refusal([helper.make_node("Tanh", ["x"], ["y"])], (6,))
    assert "node '#0 (unnamed, output y)' (op Tanh)" in msg


def test_model_level_refusals():
    with pytest.raises(UnsupportedModelError, match="opset 11"):
        import_onnx(make_model([helper.make_node("Relu", ["x"], ["y"], name="r")], (4,), opset=11))
    with pytest.raises(UnsupportedModelError, match=r"per-sample shape \[3, 4, 4\]; it must be class logits"):
        import_onnx(make_model([helper.make_node("Relu", ["x"], ["y"], name="r")], (3, 4, 4)))
    with pytest.raises(UnsupportedModelError, match="cannot read the ONNX model"):
        import_onnx(b"not an onnx file")


@pytest.mark.parametrize("node,inits", [
    (helper.make_node("ConstantOfShape", ["s"], ["c"], name="fold"), {"s": np.array([1 << 20, 1 << 20], np.int64)}),
    (helper.make_node("Expand", ["one", "s"], ["c"], name="fold"),
     {"one": np.ones(1, np.float32), "s": np.array([1 << 13, 1 << 13], np.int64)}),
    (helper.make_node("Range", ["lo", "hi", "step"], ["c"], name="fold"),
     {"lo": np.array(0, np.int64), "hi": np.array(1 << 40, np.int64), "step": np.array(1, np.int64)}),
    (helper.make_node("Mul", ["col", "row"], ["c"], name="fold"),
     {"col": rand(1 << 13, 1), "row": rand(1, 1 << 13)}),
])
def test_folding_that_would_create_gigabytes_is_refused(node, inits):
    """A shape read from the file must not make the importer allocate it (the fuzzer found
    ConstantOfShape asking for 1.2 G elements); folds stay within 2^24 elements beyond their
    inputs."""
    nodes = [node, helper.make_node("Flatten", ["x"], ["y"], name="flat")]
    msg = refusal(nodes, (3,), inits)
    assert_names(msg, "fold", node.op_type)
    assert "would create" in msg
