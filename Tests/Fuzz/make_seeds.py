#!/usr/bin/env python3
"""Writes the seed inputs of the fuzz targets into Tests/Fuzz/corpus/<target>/.

The Swift targets' seeds need only the standard library; with `--onnx` (run with the
model-preparation environment, .venv-train, which has onnx) it writes the ONNX importer's seeds
instead: small classifiers built with onnx.helper that import cleanly, one per family of ops.

Seeds are well-formed inputs of each target's format (see the target's doc comment), so that
libFuzzer starts from the paths a real client or model takes. Run from anywhere; rewrites the
seed-* files and leaves every other file (regressions, saved finds) alone.
"""
import json
import math
import struct
from pathlib import Path

FUZZ = Path(__file__).resolve().parent
ROOT = FUZZ.parent.parent
CORPUS = FUZZ / "corpus"


def write(target, name, data):
    folder = CORPUS / target
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"seed-{name}").write_bytes(data if isinstance(data, bytes) else data.encode())


def compact(value):
    return json.dumps(value, separators=(",", ":"))


# -- request: optional "name: value" lines and a blank line, then the body --------------------
def request_seeds():
    data = [0.5, -1.0, 2.25, 0.0]
    plain = {"inputs": [{"name": "input", "shape": [1, 2, 2], "datatype": "FP32", "data": data}]}
    write("request", "json", compact(plain))
    write("request", "json-nested", compact({
        "id": "r1", "inputs": [{"name": "input", "shape": [2, 2, 2], "datatype": "FP32",
                                "data": [[[1, 2], [3, 4]], [[5, 6], [7, 8]]]}],
        "outputs": [{"name": "logits", "parameters": {"classification": 2}}]}))
    write("request", "json-slo", compact({
        "parameters": {"latency_target_ms": 5, "accuracy_target": 0.8, "slo_class": "gold",
                       "timeout": 1000, "priority": 1, "binary_data_output": True},
        "inputs": [{"name": "input", "shape": [1, 2, 2], "datatype": "FP32", "data": data}],
        "outputs": [{"name": "logits", "parameters": {"binary_data": False}}]}))
    write("request", "headers-slo",
          "zenith-latency-target-ms: 7\nzenith-accuracy-target: 0.5\nzenith-slo-class: bronze\n\n"
          + compact(plain))
    header = compact({"inputs": [{"name": "input", "shape": [1, 2, 2], "datatype": "FP32",
                                  "parameters": {"binary_data_size": 16}}],
                      "outputs": [{"name": "logits", "parameters": {"binary_data": True,
                                                                    "classification": 3}}]})
    binary = struct.pack("<4f", *data)
    write("request", "binary",
          f"inference-header-content-length: {len(header)}\n\n".encode() + header.encode() + binary)
    write("request", "content-encoding", "content-encoding: gzip\n\n" + compact(plain))


# -- connection: one byte (read size - 1), then the client's bytes ----------------------------
def h2_frame(kind, flags, stream, payload):
    return struct.pack(">I", len(payload))[1:] + bytes([kind, flags]) + struct.pack(">I", stream) + payload


def hpack_literal(name, value):
    # Literal header field without indexing, new name, no Huffman (RFC 7541 6.2.2).
    return b"\x00" + bytes([len(name)]) + name.encode() + bytes([len(value)]) + value.encode()


def connection_seeds():
    body = compact({"inputs": [{"name": "input", "shape": [1, 2, 2], "datatype": "FP32",
                                "data": [1, 2, 3, 4]}]})
    get = b"GET /v2/health/ready HTTP/1.1\r\nHost: z\r\n\r\n"
    post = (f"POST /v2/models/m/infer HTTP/1.1\r\nHost: z\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n{body}").encode()
    chunked = (b"POST /v2/models/m/infer HTTP/1.1\r\nHost: z\r\nTransfer-Encoding: chunked\r\n\r\n"
               + f"{len(body):x}\r\n{body}\r\n0\r\n\r\n".encode())
    write("connection", "http1-get", b"\xff" + get)
    write("connection", "http1-post-split", b"\x06" + post)
    write("connection", "http1-pipelined", b"\xff" + get + post + get.replace(b"ready", b"live"))
    write("connection", "http1-chunked", b"\x10" + chunked)
    write("connection", "http1-close", b"\xff" + get.replace(b"Host: z", b"Connection: close"))
    write("connection", "http1-expect", b"\xff" + post.replace(b"Host: z", b"Expect: 100-continue"))
    write("connection", "http10", b"\xff" + b"GET / HTTP/1.0\r\n\r\n")

    settings = h2_frame(0x4, 0, 0, struct.pack(">HI", 3, 100) + struct.pack(">HI", 4, 65535))
    headers = (hpack_literal(":method", "POST") + hpack_literal(":scheme", "http")
               + hpack_literal(":path", "/v2/models/m/infer") + hpack_literal(":authority", "z")
               + hpack_literal("content-length", str(len(body))) + hpack_literal("te", "trailers"))
    preface = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
    stream1 = h2_frame(0x1, 0x4, 1, headers) + h2_frame(0x0, 0x1, 1, body.encode())
    get_headers = (hpack_literal(":method", "GET") + hpack_literal(":scheme", "http")
                   + hpack_literal(":path", "/teapot") + hpack_literal(":authority", "z"))
    write("connection", "h2-prior-knowledge", b"\xff" + preface + settings + stream1
          + h2_frame(0x1, 0x5, 3, get_headers))
    write("connection", "h2-split-preface", b"\x04" + preface + settings + stream1)
    write("connection", "h2-ping-goaway", b"\xff" + preface + settings + h2_frame(0x6, 0, 0, b"12345678")
          + h2_frame(0x8, 3, 1, b"") + h2_frame(0x7, 0, 0, struct.pack(">II", 0, 0)))
    write("connection", "h2-rst-window", b"\xff" + preface + settings + h2_frame(0x1, 0x4, 1, headers)
          + h2_frame(0x8, 0, 1, struct.pack(">I", 1000)) + h2_frame(0x3, 0, 1, struct.pack(">I", 8)))
    upgrade = (b"GET /v2/health/live HTTP/1.1\r\nHost: z\r\nConnection: Upgrade, HTTP2-Settings\r\n"
               b"Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n")
    write("connection", "h2c-upgrade", b"\xff" + upgrade + preface + settings
          + h2_frame(0x1, 0x5, 3, get_headers))
    write("connection", "h2c-upgrade-post", b"\x20" + post.replace(
        b"Host: z", b"Host: z\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABk")
        + preface + settings)


# -- safetensors: small files of every dtype ---------------------------------------------------
def safetensors(tensors, metadata=None):
    header, data = {}, b""
    for name, (dtype, shape, raw) in tensors.items():
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    if metadata:
        header["__metadata__"] = metadata
    text = compact(header).encode()
    return struct.pack("<Q", len(text)) + text + data


def safetensors_seeds():
    write("safetensors", "f32", safetensors({
        "fc.weight": ("F32", [2, 3], struct.pack("<6f", *range(6))),
        "fc.bias": ("F32", [2], struct.pack("<2f", 0.5, -0.5))}, {"format": "pt"}))
    write("safetensors", "ints", safetensors({
        "keep": ("I64", [3], struct.pack("<3q", 0, 2, 5)), "order": ("I32", [2], struct.pack("<2i", 1, 0)),
        "mask": ("U8", [4], bytes([1, 0, 1, 1])), "flag": ("BOOL", [1], b"\x01"),
        "scale": ("F64", [1], struct.pack("<d", 2.0)), "empty": ("F32", [0, 4], b"")}))


# -- model: config length (4 bytes LE), config.json, model.safetensors --------------------------
def model_seeds():
    def f32(count, value):
        return struct.pack(f"<{count}f", *([value] * count))

    def seed(name, nodes, input_dims, tensors, plans=None, branches=None):
        config = compact({
            "name": name, "version": 1, "max_batch_size": 4,
            "inputs": [{"name": "input", "datatype": "FP32", "dims": input_dims}],
            "outputs": [{"name": "logits", "datatype": "FP32", "dims": [3]}],
            "graph": {"input": "input", "output": "logits", "nodes": nodes, "branches": branches or []},
            "plans": [{"name": "dense"}] + (plans or [])}).encode()
        weights = safetensors({k: ("F32", shape, f32(math.prod(shape), 0.1)) for k, shape in tensors.items()})
        write("model", name, struct.pack("<I", len(config)) + config + weights)

    seed("conv", [
        {"name": "a", "op": "conv", "inputs": ["input"], "output": "a", "pads": [1, 1, 1, 1], "activation": "relu"},
        {"name": "b", "op": "conv", "inputs": ["a"], "output": "b", "stride": [2, 2], "dilation": [1, 1]},
        {"name": "p", "op": "maxpool", "inputs": ["b"], "output": "p", "kernel": [2, 2]},
        {"name": "g", "op": "global_avgpool", "inputs": ["p"], "output": "g"},
        {"name": "f", "op": "flatten", "inputs": ["g"], "output": "f"},
        {"name": "fc", "op": "gemm", "inputs": ["f"], "output": "logits"},
    ], [2, 6, 6], {"a.weight": [2, 2, 3, 3], "a.bias": [2], "b.weight": [4, 2, 3, 3], "b.bias": [4],
                   "fc.weight": [3, 4], "fc.bias": [3]})
    seed("residual-exit", [
        {"name": "a", "op": "conv", "inputs": ["input"], "output": "a", "pads": [1, 1, 1, 1], "groups": 2},
        {"name": "s", "op": "add", "inputs": ["a", "input"], "output": "s", "activation": "relu"},
        {"name": "g", "op": "avgpool", "inputs": ["s"], "output": "g", "kernel": [4, 4]},
        {"name": "f", "op": "flatten", "inputs": ["g"], "output": "f"},
        {"name": "fc", "op": "gemm", "inputs": ["f"], "output": "logits"},
    ], [2, 4, 4], {"a.weight": [2, 1, 3, 3], "a.bias": [2], "fc.weight": [3, 2], "fc.bias": [3],
                   "h.weight": [3, 2], "h.bias": [3]},
        plans=[{"name": "early", "exits": {"early": 0}}],
        branches=[{"name": "early", "at": "input", "output": "early_logits", "nodes": [
            {"name": "hp", "op": "global_avgpool", "inputs": ["input"], "output": "hp"},
            {"name": "hf", "op": "flatten", "inputs": ["hp"], "output": "hf"},
            {"name": "h", "op": "gemm", "inputs": ["hf"], "output": "early_logits"}]}])
    seed("mlp-keep", [
        {"name": "h", "op": "gemm", "inputs": ["input"], "output": "h", "activation": "relu"},
        {"name": "fc", "op": "gemm", "inputs": ["h"], "output": "logits"},
    ], [5], {"h.weight": [8, 5], "h.bias": [8], "fc.weight": [3, 8], "fc.bias": [3]},
        plans=[{"name": "keep-50", "width": {"h": {"keep": 4}}}])


# -- model-config: the committed models' configs -----------------------------------------------
def model_config_seeds():
    for config in sorted(ROOT.glob("Models/*/config.json")):
        write("model-config", config.parent.name, config.read_bytes())


# -- onnx-import: small classifiers covering the supported ops ---------------------------------
def onnx_seeds():
    import numpy as np
    from onnx import TensorProto, helper, numpy_helper

    def rand(*shape, seed=0):
        return np.random.RandomState(seed).randn(*shape).astype(np.float32)

    def model(name, nodes, in_shape, inits):
        x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", *in_shape])
        y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
        graph = helper.make_graph(nodes, name, [x], [y],
                                  initializer=[numpy_helper.from_array(v, k) for k, v in inits.items()])
        m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
        m.ir_version = 8
        write("onnx-import", name, m.SerializeToString())

    node = helper.make_node
    model("mlp", [
        node("Flatten", ["x"], ["f"], name="flat", axis=1),
        node("Gemm", ["f", "w1", "b1"], ["h"], name="fc1", transB=1),
        node("Relu", ["h"], ["r"], name="relu"),
        node("MatMul", ["r", "w2"], ["m"], name="fc2"),
        node("Add", ["m", "b2"], ["a"], name="bias2"),
        node("Softmax", ["a"], ["y"], name="softmax", axis=-1),
    ], (1, 3, 3), {"w1": rand(5, 9), "b1": rand(5, seed=1), "w2": rand(5, 3, seed=2), "b2": rand(3, seed=3)})
    model("conv-bn-pool", [
        node("Conv", ["x", "cw", "cb"], ["c"], name="conv", pads=[1, 1, 1, 1]),
        node("BatchNormalization", ["c", "s", "o", "m", "v"], ["bn"], name="bn", epsilon=1e-3),
        node("Relu", ["bn"], ["r"], name="relu"),
        node("MaxPool", ["r"], ["p"], name="pool", kernel_shape=[2, 2], strides=[2, 2]),
        node("AveragePool", ["p"], ["ap"], name="avg", kernel_shape=[1, 1]),
        node("GlobalAveragePool", ["ap"], ["g"], name="gap"),
        node("Flatten", ["g"], ["f"], name="flat"),
        node("Gemm", ["f", "w", "b"], ["y"], name="fc", transB=1),
    ], (2, 4, 4), {"cw": rand(3, 2, 3, 3), "cb": rand(3, seed=1), "s": rand(3, seed=2), "o": rand(3, seed=3),
                   "m": rand(3, seed=4), "v": np.abs(rand(3, seed=5)) + 0.5, "w": rand(4, 3, seed=6),
                   "b": rand(4, seed=7)})
    model("view-batch", [
        node("Shape", ["x"], ["shape"], name="shape"),
        node("Gather", ["shape", "zero"], ["n"], name="batch", axis=0),
        node("Unsqueeze", ["n", "axes"], ["n1"], name="unsq"),
        node("Concat", ["n1", "minus1"], ["target"], name="cat", axis=0),
        node("Reshape", ["x", "target"], ["f"], name="view"),
        node("Gemm", ["f", "w", "b"], ["g"], name="fc", transB=1),
        node("Mul", ["g", "scale"], ["ms"], name="scale"),
        node("Sub", ["ms", "shift"], ["sb"], name="shift"),
        node("Div", ["sb", "two"], ["y"], name="half"),
    ], (2, 2, 2), {"zero": np.array(0, dtype=np.int64), "axes": np.array([0], dtype=np.int64),
                   "minus1": np.array([-1], dtype=np.int64), "scale": rand(3, seed=1),
                   "shift": rand(3, seed=2), "two": np.array(2, dtype=np.float32), "w": rand(3, 8),
                   "b": rand(3, seed=3)})
    model("residual-depthwise", [
        node("Pad", ["x", "pads"], ["px"], name="pad", mode="constant"),
        node("Conv", ["px", "dw"], ["c1"], name="depthwise", group=2),
        node("HardSwish", ["c1"], ["h1"], name="hswish"),
        node("Conv", ["h1", "pw", "pb"], ["c2"], name="pointwise"),
        node("Add", ["c2", "x"], ["sum"], name="skip"),
        node("Clip", ["sum", "lo", "hi"], ["cl"], name="relu6"),
        node("ReduceMean", ["cl", "rm_axes"], ["rm"], name="mean", keepdims=0),
        node("Dropout", ["rm"], ["dr"], name="drop"),
        node("Identity", ["dr"], ["id"], name="ident"),
        node("Gemm", ["id", "w", "b"], ["lg"], name="fc", transB=1),
        node("HardSigmoid", ["lg"], ["hs"], name="hsig", alpha=1 / 6),
        node("Sigmoid", ["hs"], ["y"], name="sig"),
    ], (2, 4, 4), {"pads": np.array([0, 0, 1, 1, 0, 0, 1, 1], dtype=np.int64), "dw": rand(2, 1, 3, 3),
                   "pw": rand(2, 2, 1, 1, seed=1), "pb": rand(2, seed=2),
                   "lo": np.array(0, dtype=np.float32), "hi": np.array(6, dtype=np.float32),
                   "rm_axes": np.array([2, 3], dtype=np.int64), "w": rand(3, 2, seed=3), "b": rand(3, seed=4)})
    model("constant-cast-squeeze", [
        node("Constant", [], ["k"], name="k", value=numpy_helper.from_array(rand(2, 1, 1, seed=5))),
        node("Cast", ["x"], ["xf"], name="cast", to=TensorProto.FLOAT),
        node("Mul", ["xf", "k"], ["m"], name="per_channel"),
        node("GlobalAveragePool", ["m"], ["g"], name="gap"),
        node("Squeeze", ["g", "sq_axes"], ["s"], name="squeeze"),
        node("Unsqueeze", ["s", "un_axes"], ["u"], name="unsqueeze"),
        node("Flatten", ["u"], ["f"], name="flat"),
        node("Gemm", ["f", "w"], ["y"], name="fc", transB=1),
    ], (2, 3, 3), {"sq_axes": np.array([2, 3], dtype=np.int64), "un_axes": np.array([2, 3], dtype=np.int64),
                   "w": rand(3, 2)})


if __name__ == "__main__":
    import sys
    if sys.argv[1:] == ["--onnx"]:
        onnx_seeds()
        sys.exit(0)
    request_seeds()
    connection_seeds()
    safetensors_seeds()
    model_seeds()
    model_config_seeds()
