"""ONNX classifier (opset >= 13, classic or dynamo torch.onnx.export) -> Zenith graph + weights.

The ONNX graph is walked in order. Tensors computable without the input (initializers,
Constant nodes, shape arithmetic on Shape of a tensor whose per-sample shape is known) are
folded with numpy; the batch dimension is carried as a marker so `x.view(x.size(0), -1)`
folds to a constant shape. Every other node becomes a node of the graph format, then:
a per-channel affine (BatchNormalization, Mul/Add/Sub/Div by a constant) folds into the
single-consumer conv/gemm before it (else becomes a depthwise 1x1 conv), and an activation
fuses into the single-consumer conv/gemm/add before it. Anything else is refused with an
`UnsupportedModelError` naming the node, its op type, what is wrong and the supported ops.
"""
import math
import re
from dataclasses import dataclass

import numpy as np
import onnx
from onnx import numpy_helper

from .errors import UnsupportedModelError
from .graph_ref import consumers, node_output_shape

SUPPORTED_OPS = sorted([
    "Add", "AveragePool", "BatchNormalization", "Cast", "Clip", "Concat", "Constant", "Conv",
    "Div", "Dropout", "Flatten", "Gemm", "GlobalAveragePool", "HardSigmoid", "HardSwish",
    "Identity", "MatMul", "MaxPool", "Mul", "Pad", "ReduceMean", "Relu", "Reshape", "Sigmoid",
    "Softmax", "Squeeze", "Sub", "Unsqueeze",
])
# Evaluated with numpy when every input is constant (shape arithmetic, weight preprocessing).
_FOLDABLE = {
    "Add", "Cast", "Concat", "Constant", "ConstantOfShape", "Div", "Equal", "Expand", "Flatten",
    "Gather", "Identity", "Mul", "Neg", "Range", "Reshape", "Shape", "Slice", "Sqrt", "Squeeze",
    "Sub", "Transpose", "Unsqueeze", "Where", "Reciprocal", "Pow", "Floor", "Ceil", "Max", "Min",
}
MIN_OPSET = 13
# Marker for the (dynamic) batch dimension inside folded shape tensors.
_BATCH = np.int64(-(2 ** 62))
# The most elements a fold may create beyond its largest input: shape arithmetic and weight
# preprocessing never need more, and a shape read from a hostile file must not allocate gigabytes.
_MAX_CREATED_ELEMENTS = 1 << 24


@dataclass
class ImportedModel:
    """graph: the contract's `graph` object (no branches); weights: "<node>.weight"/".bias"
    float32 arrays; input_dims / output_dims: per-sample shapes."""
    graph: dict
    weights: dict
    input_name: str
    input_dims: list
    output_name: str
    output_dims: list


@dataclass
class _Tensor:
    """A non-constant tensor: the graph-format tensor holding it and its per-sample shape.
    `pad` [t,l,b,r]: this is tensor `ref` (of shape `unpadded`) zero-padded by a Pad node,
    which only a following Conv can absorb."""
    ref: str
    shape: tuple
    pad: tuple = None
    unpadded: tuple = None


class _Refusal(Exception):
    """What is wrong with the node being translated; turned into UnsupportedModelError."""


def import_onnx(source):
    """Import an ONNX classifier.

    - Parameters: source: a path to a .onnx file, its bytes, or an `onnx.ModelProto`.
    - Returns: `ImportedModel`.
    - Raises: `UnsupportedModelError` for anything the graph format cannot express."""
    try:
        if isinstance(source, onnx.ModelProto):
            model = source
        elif isinstance(source, (bytes, bytearray)):
            model = onnx.load_from_string(bytes(source))
        else:
            model = onnx.load(str(source))
    except Exception as e:  # a corrupt or unreadable file is the user's input, not our bug
        raise UnsupportedModelError(f"cannot read the ONNX model: {e}") from None
    _check_text(model.graph, "graph")
    return _Importer(model).run()


def _check_text(message, path):
    """Refuses a string field that is not UTF-8: protobuf hands such a field over as bytes,
    which every name and message below takes to be str."""
    for field, value in message.ListFields():
        # Only messages and strings are visited: a tensor's repeated numbers can be millions long.
        if field.type == field.TYPE_MESSAGE:
            for i, item in enumerate(value if field.is_repeated else [value]):
                _check_text(item, f"{path}.{field.name}[{i}]" if field.is_repeated else f"{path}.{field.name}")
        elif field.type == field.TYPE_STRING:
            if any(isinstance(v, bytes) for v in (value if field.is_repeated else [value])):
                raise UnsupportedModelError(f"{path}.{field.name} is not UTF-8 text")


def _supported():
    return "Supported ONNX ops: " + ", ".join(SUPPORTED_OPS) + "."


def _sanitize(name):
    return re.sub(r"[^A-Za-z0-9_.\-]", "_", name.strip("/").replace("/", "."))


class _Importer:
    def __init__(self, model):
        self.model = model
        self.g = model.graph
        self.values = {}       # ONNX tensor name -> np.ndarray (constant) or _Tensor
        self.nodes = []        # graph-format nodes under construction (with "_src", "_params")
        self.counter = 0
        self.current = None    # ONNX node being translated, for messages

    # -- entry -----------------------------------------------------------------------------

    def run(self):
        opset = next((o.version for o in self.model.opset_import if o.domain in ("", "ai.onnx")), 0)
        if opset < MIN_OPSET:
            raise UnsupportedModelError(
                f"the model uses ONNX opset {opset}; opset {MIN_OPSET} or newer is required "
                "(torch.onnx.export(..., opset_version=17))")
        self._load_inputs()
        for i, node in enumerate(self.g.node):
            self.current = (node, i)
            try:
                self._translate(node)
            except _Refusal as e:
                raise UnsupportedModelError(self._message(node, i, str(e))) from None
            except UnsupportedModelError:
                raise
            except Exception as e:  # numpy/shape errors inside one node: still name it
                raise UnsupportedModelError(self._message(node, i, f"{type(e).__name__}: {e}")) from None
        return self._finish()

    def _message(self, node, i, what):
        name = node.name or f"#{i} (unnamed, output {node.output[0] if node.output else '?'})"
        return f"node '{name}' (op {node.op_type}): {what}. {_supported()}"

    def _load_inputs(self):
        inits = {t.name for t in self.g.initializer}
        for t in self.g.initializer:
            try:
                self.values[t.name] = _np(numpy_helper.to_array(t))
            except _Refusal as e:
                raise UnsupportedModelError(f"initializer '{t.name}': {e}") from None
            except Exception as e:  # a malformed TensorProto (data that does not fill its dims, ...)
                raise UnsupportedModelError(
                    f"initializer '{t.name}' cannot be read: {type(e).__name__}: {e}") from None
        real = [i for i in self.g.input if i.name not in inits]
        if len(real) != 1:
            raise UnsupportedModelError(
                f"the model must have exactly one input tensor, it has {len(real)}: {[i.name for i in real]}")
        inp = real[0]
        tt = inp.type.tensor_type
        if tt.elem_type != onnx.TensorProto.FLOAT:
            raise UnsupportedModelError(f"input '{inp.name}' must be float32 "
                                        f"(it is {_dtype_name(tt.elem_type)})")
        dims = [d.dim_value if d.HasField("dim_value") else None for d in tt.shape.dim]
        if len(dims) not in (2, 4) or any(d is None or d < 1 for d in dims[1:]):
            raise UnsupportedModelError(
                f"input '{inp.name}' must be [batch, C, H, W] or [batch, features] with fixed "
                f"sizes after the batch dimension, it is {_dims_str(tt.shape.dim)}")
        self.input_name = inp.name
        self.input_dims = tuple(dims[1:])
        self.values[inp.name] = _Tensor(inp.name, self.input_dims)
        if len(self.g.output) != 1:
            raise UnsupportedModelError(
                f"the model must have exactly one output (class logits), it has {len(self.g.output)}: "
                f"{[o.name for o in self.g.output]}")
        self.output_name = self.g.output[0].name

    # -- helpers -------------------------------------------------------------------------------

    def _in(self, node, k, required=True, allow_pad=False):
        if k >= len(node.input) or node.input[k] == "":
            if required:
                raise _Refusal(f"input {k} is missing")
            return None
        name = node.input[k]
        if name not in self.values:
            raise _Refusal(f"input '{name}' is not produced by an earlier node")
        v = self.values[name]
        if isinstance(v, _Tensor) and v.pad is not None and not allow_pad:
            raise _Refusal(f"input '{name}' comes from a Pad node; a Pad is supported only "
                           "when a Conv reads it")
        return v

    def _const(self, node, k, what, required=True):
        v = self._in(node, k, required)
        if v is None:
            return None
        if isinstance(v, _Tensor):
            raise _Refusal(f"{what} (input {k}, '{node.input[k]}') must be a constant")
        return v

    def _tensor(self, node, k, rank=None, allow_pad=False):
        v = self._in(node, k, allow_pad=allow_pad)
        if not isinstance(v, _Tensor):
            raise _Refusal(f"input {k} ('{node.input[k]}') is a constant; a computed tensor is required")
        if rank is not None and len(v.shape) not in rank:
            want = " or ".join("[C,H,W]" if r == 3 else "[N]" for r in rank)
            raise _Refusal(f"input '{node.input[k]}' has per-sample shape {list(v.shape)}, {want} required")
        return v

    def _emit(self, node, op, inputs, params=None, suffix="", **attrs):
        """Append a graph-format node; returns the _Tensor it produces."""
        self.counter += 1
        ref = f"%{self.counter}"
        spec = {"name": None, "op": op, "inputs": [t.ref for t in inputs], "output": ref, **attrs,
                "_src": (node.name or f"{node.op_type}_{self.current[1]}") + suffix,
                "_params": params or {}}
        try:
            shape = node_output_shape(
                {**spec, "name": "?"}, [t.shape for t in inputs],
                {f"?.{k}": v for k, v in spec["_params"].items()})
        except ValueError as e:
            raise _Refusal(str(e).removeprefix("?: ")) from None
        self.nodes.append(spec)
        return _Tensor(ref, shape)

    def _set(self, node, value, k=0):
        self.values[node.output[k]] = value

    def _check_unused_outputs(self, node, first_extra=1):
        used = {i for n in self.g.node for i in n.input} | {o.name for o in self.g.output}
        for o in node.output[first_extra:]:
            if o and o in used:
                raise _Refusal(f"output '{o}' is used; only the first output is supported")

    # -- translation ---------------------------------------------------------------------------

    def _translate(self, node):
        if node.domain not in ("", "ai.onnx"):
            raise _Refusal(f"ops from domain '{node.domain}' are not supported")
        op = node.op_type
        ins = [self.values.get(i) for i in node.input if i != ""]
        if op == "Constant" or (op in _FOLDABLE and all(isinstance(v, np.ndarray) for v in ins)
                                and op != "Shape"):
            return self._fold(node)
        handler = getattr(self, f"_op_{op}", None)
        if handler is None:
            if op in _FOLDABLE:
                raise _Refusal("only supported on constant inputs (shape arithmetic); "
                               "here an input depends on the model input")
            raise _Refusal("this op is not supported")
        handler(node)

    def _fold(self, node):
        a = _attrs(node)
        op = node.op_type
        if op == "Constant":
            if "value" in a:
                v = a["value"]
            elif "value_float" in a or "value_floats" in a:
                v = np.array(a.get("value_float", a.get("value_floats")), dtype=np.float32)
            elif "value_int" in a or "value_ints" in a:
                v = np.array(a.get("value_int", a.get("value_ints")), dtype=np.int64)
            else:
                raise _Refusal(f"Constant with attributes {sorted(a)} is not supported")
            return self._set(node, _np(v))
        x = [self.values[i] if i else None for i in node.input]
        if op not in ("Shape", "Gather", "Unsqueeze", "Squeeze", "Concat", "Slice", "Identity",
                      "Cast", "Reshape", "Expand", "Flatten", "Transpose") and any(
                v is not None and v.dtype.kind == "i" and (v == _BATCH).any() for v in x):
            raise _Refusal("the computation depends on the batch size")
        self._set(node, _np(_fold_op(op, x, a)))

    def _op_Shape(self, node):
        v = self._in(node, 0, allow_pad=True)
        a = _attrs(node)
        dims = v.shape if isinstance(v, np.ndarray) else (_BATCH,) + tuple(v.shape)
        full = np.array(dims, dtype=np.int64)
        self._set(node, full[a.get("start", 0):a.get("end", None)])

    def _op_Identity(self, node):
        self._set(node, self._in(node, 0))

    def _op_Dropout(self, node):
        self._check_unused_outputs(node)
        self._set(node, self._tensor(node, 0))

    def _op_Cast(self, node):
        if _attrs(node).get("to") != onnx.TensorProto.FLOAT:
            raise _Refusal("only a cast to float32 of a computed tensor is supported")
        self._set(node, self._tensor(node, 0))

    def _op_Conv(self, node):
        a = _attrs(node)
        x = self._tensor(node, 0, rank=(3,), allow_pad=True)
        w = self._const(node, 1, "the weight")
        b = self._const(node, 2, "the bias", required=False)
        if w.ndim != 4:
            raise _Refusal(f"only 2-D convolution is supported (weight shape {list(w.shape)})")
        kernel = list(w.shape[2:])
        if "kernel_shape" in a and list(a["kernel_shape"]) != kernel:
            raise _Refusal(f"kernel_shape {a['kernel_shape']} does not match the weight {list(w.shape)}")
        stride = list(a.get("strides", [1, 1]))
        dil = list(a.get("dilations", [1, 1]))
        pads = _explicit_pads(a, x.shape[1:], kernel, stride, dil)
        if x.pad is not None:
            pads = [p + q for p, q in zip(pads, x.pad)]
            x = _Tensor(x.ref, x.unpadded)
        bias = np.zeros(w.shape[0], np.float32) if b is None else b.reshape(-1).astype(np.float32)
        self._set(node, self._emit(node, "conv", [x], {"weight": w.astype(np.float32), "bias": bias},
                                   stride=stride, pads=pads, dilation=dil, groups=int(a.get("group", 1))))

    def _op_Pad(self, node):
        a = _attrs(node)
        x = self._tensor(node, 0, rank=(3,), allow_pad=True)
        pads = [int(p) for p in self._const(node, 1, "pads")]
        value = self._const(node, 2, "constant_value", required=False)
        axes = self._const(node, 3, "axes", required=False)
        if a.get("mode", "constant") != "constant" or (value is not None and float(value) != 0.0):
            raise _Refusal("only zero padding (mode=constant, value 0) is supported")
        axes = list(range(4)) if axes is None else [int(i) % 4 for i in axes]
        begin = dict(zip(axes, pads[:len(axes)]))
        end = dict(zip(axes, pads[len(axes):]))
        if any(begin.get(i, 0) or end.get(i, 0) for i in (0, 1)) or min(pads) < 0:
            raise _Refusal(f"pads={pads}; only non-negative padding of H and W is supported")
        pad = (begin.get(2, 0), begin.get(3, 0), end.get(2, 0), end.get(3, 0))
        if x.pad is not None:
            pad, base = tuple(p + q for p, q in zip(pad, x.pad)), x.unpadded
        else:
            base = x.shape
        shape = (base[0], base[1] + pad[0] + pad[2], base[2] + pad[1] + pad[3])
        self._set(node, _Tensor(x.ref, shape, pad, base))

    def _op_BatchNormalization(self, node):
        a = _attrs(node)
        if a.get("training_mode", 0):
            raise _Refusal("training_mode=1 is not supported (export the model in eval mode)")
        self._check_unused_outputs(node)
        x = self._tensor(node, 0, rank=(1, 3))
        scale, bias, mean, var = (self._const(node, k, n).astype(np.float64)
                                  for k, n in ((1, "scale"), (2, "B"), (3, "mean"), (4, "var")))
        s = scale / np.sqrt(var + a.get("epsilon", 1e-5))
        self._affine(node, x, s, bias - mean * s)

    def _affine(self, node, x, scale, shift, suffix=""):
        """y = x * scale + shift per channel (rank 3) or feature (rank 1): folded later."""
        c = x.shape[0]
        scale = np.broadcast_to(np.asarray(scale, np.float64).reshape(-1), (c,)).copy()
        shift = np.broadcast_to(np.asarray(shift, np.float64).reshape(-1), (c,)).copy()
        self.counter += 1
        ref = f"%{self.counter}"
        self.nodes.append({"name": None, "op": "_affine", "inputs": [x.ref], "output": ref,
                           "_src": (node.name or f"{node.op_type}_{self.current[1]}") + suffix,
                           "_params": {"scale": scale, "shift": shift},
                           "_onnx": self.current, "_rank": len(x.shape)})
        self._set(node, _Tensor(ref, x.shape))

    def _per_channel(self, v, x):
        """A constant broadcast against x's per-sample shape that is one value per channel (or
        a scalar): returns it as [C], else None."""
        v = np.asarray(v)
        if v.ndim > len(x.shape) + 1:
            return None
        full = (1,) * (len(x.shape) + 1 - v.ndim) + v.shape
        if full[0] != 1 or any(d != 1 for d in full[2:]) or full[1] not in (1, x.shape[0]):
            return None
        return np.broadcast_to(v.reshape(-1), (x.shape[0],))

    def _op_Add(self, node):
        a, b = self._in(node, 0), self._in(node, 1)
        if isinstance(a, _Tensor) and isinstance(b, _Tensor):
            if a.shape != b.shape:
                raise _Refusal(f"broadcasting add of per-sample shapes {list(a.shape)} and "
                               f"{list(b.shape)} is not supported (same shape required)")
            return self._set(node, self._emit(node, "add", [a, b]))
        x, c = (a, b) if isinstance(a, _Tensor) else (b, a)
        self._const_affine(node, x, c, "add")

    def _op_Sub(self, node):
        a, b = self._in(node, 0), self._in(node, 1)
        if not isinstance(a, _Tensor) or isinstance(b, _Tensor):
            raise _Refusal("only tensor minus constant is supported")
        self._const_affine(node, a, -np.asarray(b, np.float64), "add")

    def _op_Mul(self, node):
        a, b = self._in(node, 0), self._in(node, 1)
        if isinstance(a, _Tensor) and isinstance(b, _Tensor):
            if len(a.shape) == 3 and a.shape[1:] == (1, 1) and b.shape[1:] != (1, 1):
                a, b = b, a  # the [C,1,1] operand goes second
            return self._set(node, self._emit(node, "mul", [a, b]))
        x, c = (a, b) if isinstance(a, _Tensor) else (b, a)
        self._const_affine(node, x, c, "mul")

    def _op_Div(self, node):
        a, b = self._in(node, 0), self._in(node, 1)
        if not isinstance(a, _Tensor) or isinstance(b, _Tensor):
            raise _Refusal("only tensor divided by constant is supported")
        self._const_affine(node, a, 1.0 / np.asarray(b, np.float64), "mul")

    def _const_affine(self, node, x, c, kind):
        v = self._per_channel(c, x)
        if v is None:
            raise _Refusal(f"a constant operand of shape {list(np.shape(c))} is not per-channel "
                           f"for a tensor of per-sample shape {list(x.shape)}")
        if kind == "add":
            self._affine(node, x, 1.0, v)
        else:
            self._affine(node, x, v, 0.0)

    def _op_Gemm(self, node):
        a = _attrs(node)
        if a.get("transA", 0):
            raise _Refusal("transA=1 is not supported")
        x = self._tensor(node, 0, rank=(1,))
        w = self._const(node, 1, "B (the weight)")
        c = self._const(node, 2, "C (the bias)", required=False)
        if w.ndim != 2:
            raise _Refusal(f"B must be 2-D, it is {list(w.shape)}")
        w = (w if a.get("transB", 0) else w.T) * a.get("alpha", 1.0)
        out = w.shape[0]
        bias = np.zeros(out, np.float64)
        if c is not None:
            if c.size not in (1, out) or (c.ndim == 2 and c.shape[0] != 1):
                raise _Refusal(f"C of shape {list(c.shape)} is not a per-output bias")
            bias = np.broadcast_to(c.reshape(-1), (out,)) * a.get("beta", 1.0)
        self._set(node, self._emit(node, "gemm", [x], {"weight": w.astype(np.float32),
                                                       "bias": bias.astype(np.float32)}))

    def _op_MatMul(self, node):
        x = self._tensor(node, 0, rank=(1,))
        w = self._const(node, 1, "the second operand (weight)")
        if w.ndim != 2:
            raise _Refusal(f"the weight must be 2-D, it is {list(w.shape)}")
        self._set(node, self._emit(node, "gemm", [x], {"weight": w.T.astype(np.float32),
                                                       "bias": np.zeros(w.shape[1], np.float32)}))

    def _activation(self, node, op):
        self._set(node, self._emit(node, op, [self._tensor(node, 0)]))

    def _op_Relu(self, node):
        self._activation(node, "relu")

    def _op_Sigmoid(self, node):
        self._activation(node, "sigmoid")

    def _op_HardSwish(self, node):
        self._activation(node, "hardswish")

    def _op_HardSigmoid(self, node):
        a = _attrs(node)
        alpha, beta = a.get("alpha", 0.2), a.get("beta", 0.5)
        if abs(alpha - 1 / 6) > 1e-6 or abs(beta - 0.5) > 1e-6:
            raise _Refusal(f"alpha={alpha}, beta={beta}; only alpha=1/6, beta=0.5 "
                           "(torch.nn.Hardsigmoid) is supported")
        self._activation(node, "hardsigmoid")

    def _op_Clip(self, node):
        a = _attrs(node)
        lo, hi = a.get("min"), a.get("max")
        if len(node.input) > 1:
            c = self._const(node, 1, "min", required=False)
            lo = None if c is None else float(c)
        if len(node.input) > 2:
            c = self._const(node, 2, "max", required=False)
            hi = None if c is None else float(c)
        if lo == 0 and hi == 6:
            return self._activation(node, "relu6")
        if lo == 0 and (hi is None or math.isinf(hi)):
            return self._activation(node, "relu")
        raise _Refusal(f"Clip(min={lo}, max={hi}); only Clip(0, 6) (relu6) and Clip(0) (relu) are supported")

    def _op_Flatten(self, node):
        x = self._tensor(node, 0)
        axis = _attrs(node).get("axis", 1)
        if axis < 0:
            axis += len(x.shape) + 1
        if axis != 1:
            raise _Refusal(f"axis={_attrs(node).get('axis', 1)}; only axis=1 (keep the batch) is supported")
        self._set(node, self._reshape_to(node, x, (int(np.prod(x.shape)),)))

    def _op_Reshape(self, node):
        x = self._tensor(node, 0)
        shape = [int(s) for s in self._const(node, 1, "the shape")]
        allowzero = _attrs(node).get("allowzero", 0)
        if not shape or shape[0] not in (-1, 0, 1, int(_BATCH)) or (allowzero and 0 in shape):
            raise _Refusal(f"shape {_shape_str(shape)} does not keep the batch dimension first "
                           "(-1, 0 or 1 there)")
        rest = shape[1:]
        if shape[0] == -1 and -1 in rest:
            raise _Refusal(f"shape {_shape_str(shape)} has two -1 entries")
        full_in = (None,) + tuple(x.shape)
        rest = [full_in[i + 1] if s == 0 and i + 1 < len(full_in) else s for i, s in enumerate(rest)]
        if any(s == int(_BATCH) for s in rest):
            raise _Refusal(f"shape {_shape_str(shape)} moves the batch dimension")
        n = int(np.prod(x.shape))
        if -1 in rest:
            known = int(np.prod([s for s in rest if s != -1]))
            rest[rest.index(-1)] = n // known if known else 0
        self._set(node, self._reshape_to(node, x, tuple(rest)))

    def _op_Squeeze(self, node):
        x = self._tensor(node, 0)
        axes = _attrs(node).get("axes")
        if len(node.input) > 1:
            axes = self._const(node, 1, "axes", required=False)
        rank = len(x.shape) + 1
        full = (1,) + tuple(x.shape)
        axes = [i for i, d in enumerate(full) if d == 1 and i > 0] if axes is None else \
            sorted(int(a) % rank for a in np.atleast_1d(axes))
        if 0 in axes or any(full[i] != 1 for i in axes):
            raise _Refusal(f"axes {list(axes)} must be non-batch axes of size 1")
        self._set(node, self._reshape_to(node, x, tuple(d for i, d in enumerate(full) if i not in axes and i)))

    def _op_Unsqueeze(self, node):
        x = self._tensor(node, 0)
        axes = _attrs(node).get("axes")
        if len(node.input) > 1:
            axes = self._const(node, 1, "axes")
        rank = len(x.shape) + 1 + len(np.atleast_1d(axes))
        axes = sorted(int(a) % rank for a in np.atleast_1d(axes))
        if 0 in axes:
            raise _Refusal("unsqueezing the batch axis is not supported")
        out = [None] + list(x.shape)
        for a in axes:
            out.insert(a, 1)
        self._set(node, self._reshape_to(node, x, tuple(out[1:])))

    def _reshape_to(self, node, x, shape):
        if int(np.prod(shape)) != int(np.prod(x.shape)):
            raise _Refusal(f"cannot reshape per-sample {list(x.shape)} to {list(shape)}")
        if tuple(shape) == tuple(x.shape):
            return x
        if len(shape) == 1:
            return self._emit(node, "flatten", [x])
        if len(shape) == 3:
            return self._emit(node, "reshape", [x], shape=list(shape))
        raise _Refusal(f"the per-sample result shape {list(shape)} has rank {len(shape)}; "
                       "only [N] and [C,H,W] are supported")

    def _op_Concat(self, node):
        xs = [self._tensor(node, k, rank=(3,)) for k in range(len(node.input))]
        axis = _attrs(node)["axis"]
        if len(xs) == 1 and axis in (1, -3):
            return self._set(node, xs[0])
        if axis not in (1, -3):
            raise _Refusal(f"axis={axis}; only the channel axis (1) is supported")
        if len({x.shape[1:] for x in xs}) != 1:
            raise _Refusal(f"inputs have different H, W: {[list(x.shape) for x in xs]}")
        self._set(node, self._emit(node, "concat", xs))

    def _op_GlobalAveragePool(self, node):
        self._set(node, self._emit(node, "global_avgpool", [self._tensor(node, 0, rank=(3,))]))

    def _op_ReduceMean(self, node):
        a = _attrs(node)
        x = self._tensor(node, 0, rank=(3,))
        axes = a.get("axes")
        if len(node.input) > 1:
            axes = self._const(node, 1, "axes", required=False)
        if axes is None or sorted(int(i) % 4 for i in np.atleast_1d(axes)) != [2, 3]:
            raise _Refusal(f"axes={None if axes is None else list(np.atleast_1d(axes))}; only the "
                           "spatial mean (axes 2, 3) is supported")
        y = self._emit(node, "global_avgpool", [x])
        if not a.get("keepdims", 1):
            y = self._emit(node, "flatten", [y], suffix=".flatten")
        self._set(node, y)

    def _pool_common(self, node, x):
        a = _attrs(node)
        if any(d != 1 for d in a.get("dilations", [1, 1])):
            raise _Refusal(f"dilations={list(a['dilations'])}; pooling dilation is not supported")
        kernel = list(a["kernel_shape"])
        if len(kernel) != 2:
            raise _Refusal(f"kernel_shape {kernel}: only 2-D pooling is supported")
        stride = list(a.get("strides", [1, 1]))
        pads = _explicit_pads(a, x.shape[1:], kernel, stride, [1, 1])
        extra = [0, 0]
        if a.get("ceil_mode", 0):
            extra = [_ceil_extra(x.shape[1 + i], pads[i], pads[i + 2], kernel[i], stride[i]) for i in range(2)]
        return a, kernel, stride, pads, extra

    def _op_MaxPool(self, node):
        x = self._tensor(node, 0, rank=(3,))
        self._check_unused_outputs(node)
        a, kernel, stride, pads, extra = self._pool_common(node, x)
        # ceil_mode = floor mode with the extra windows' padding at the end: each extra window
        # still starts inside the input or the start padding, so -inf padding never wins.
        pads = [pads[0], pads[1], pads[2] + extra[0], pads[3] + extra[1]]
        self._set(node, self._emit(node, "maxpool", [x], kernel=kernel, stride=stride, pads=pads))

    def _op_AveragePool(self, node):
        x = self._tensor(node, 0, rank=(3,))
        a, kernel, stride, pads, extra = self._pool_common(node, x)
        if any(extra):
            raise _Refusal("ceil_mode=1 changes the output size here; only floor-mode average "
                           "pooling is supported (export with ceil_mode=False)")
        self._set(node, self._emit(node, "avgpool", [x], kernel=kernel, stride=stride, pads=pads,
                                   count_include_pad=bool(a.get("count_include_pad", 0))))

    def _op_Softmax(self, node):
        x = self._tensor(node, 0, rank=(1,))
        axis = _attrs(node).get("axis", -1)
        if axis not in (-1, 1):
            raise _Refusal(f"axis={axis}; only the class axis (1 or -1) of [batch, classes] is supported")
        self._set(node, self._emit(node, "softmax", [x]))

    # -- passes --------------------------------------------------------------------------------

    def _finish(self):
        out = self.values.get(self.output_name)
        if not isinstance(out, _Tensor) or out.ref == self.input_name:
            raise UnsupportedModelError(f"the model output '{self.output_name}' does not depend on the input")
        if len(out.shape) != 1:
            raise UnsupportedModelError(
                f"the model output '{self.output_name}' has per-sample shape {list(out.shape)}; "
                "it must be class logits [classes]")
        nodes = _prune(self.nodes, out.ref)
        nodes = self._fold_affines(nodes, out.ref)
        nodes = _fuse_activations(nodes, out.ref)
        return self._name(nodes, out)

    def _fold_affines(self, nodes, output):
        graph = {"input": self.input_name, "output": output, "nodes": nodes}
        cons = consumers(graph)
        producer = {n["output"]: n for n in nodes}
        kept = []
        for n in nodes:
            if n["op"] != "_affine":
                kept.append(n)
                continue
            s, c = n["_params"]["scale"], n["_params"]["shift"]
            src = n["inputs"][0]
            p = producer.get(src)
            if p is not None and p["op"] in ("conv", "gemm") and "activation" not in p \
                    and len(cons.get(src, [])) == 1:
                w = p["_params"]["weight"].astype(np.float64)
                p["_params"]["weight"] = (w * s.reshape((-1,) + (1,) * (w.ndim - 1))).astype(np.float32)
                p["_params"]["bias"] = (p["_params"]["bias"] * s + c).astype(np.float32)
                _bypass(n, p, producer)
                continue
            if n["_rank"] != 3:
                onnx_node, idx = n["_onnx"]
                raise UnsupportedModelError(self._message(
                    onnx_node, idx, "a per-feature scale/shift on a flat tensor is only supported "
                    "right after a Gemm/MatMul whose output has no other consumer"))
            ch = s.shape[0]
            n.update(op="conv", stride=[1, 1], pads=[0, 0, 0, 0], dilation=[1, 1], groups=ch,
                     _params={"weight": s.reshape(ch, 1, 1, 1).astype(np.float32),
                              "bias": c.astype(np.float32)})
            producer[n["output"]] = n
            kept.append(n)
        return kept

    def _name(self, nodes, out):
        reserved = {self.input_name, self.output_name}
        used = set()
        rename = {self.input_name: self.input_name}
        weights = {}
        for n in nodes:
            n.pop("_rank", None)
            base = _sanitize(n.pop("_src")) or n["op"]
            name, k = base, 1
            while name in used or name in reserved:
                k += 1
                name = f"{base}_{k}"
            used.add(name)
            n["name"] = name
            rename[n["output"]] = self.output_name if n["output"] == out.ref else name
            for key, v in n.pop("_params").items():
                weights[f"{name}.{key}"] = np.ascontiguousarray(v, dtype=np.float32)
            n.pop("_onnx", None)
        for n in nodes:
            n["inputs"] = [rename[t] for t in n["inputs"]]
            n["output"] = rename[n["output"]]
        ordered = [{k: n[k] for k in ("name", "op", "inputs", "output")} |
                   {k: v for k, v in n.items() if k not in ("name", "op", "inputs", "output")}
                   for n in nodes]
        graph = {"input": self.input_name, "output": self.output_name, "nodes": ordered}
        return ImportedModel(graph=graph, weights=weights, input_name=self.input_name,
                             input_dims=list(self.input_dims), output_name=self.output_name,
                             output_dims=list(out.shape))


def _prune(nodes, output):
    """Drop nodes the output does not depend on."""
    need = {output}
    kept = []
    for n in reversed(nodes):
        if n["output"] in need:
            need.update(n["inputs"])
            kept.append(n)
    return kept[::-1]


def _fuse_activations(nodes, output):
    cons = consumers({"input": "", "output": output, "nodes": nodes})
    producer = {n["output"]: n for n in nodes}
    kept = []
    for n in nodes:
        src = n["inputs"][0] if n["inputs"] else None
        p = producer.get(src)
        if n["op"] in ("relu", "relu6", "hardswish", "hardsigmoid", "sigmoid") and p is not None \
                and p["op"] in ("conv", "gemm", "add") and "activation" not in p \
                and len(cons.get(src, [])) == 1:
            p["activation"] = n["op"]
            _bypass(n, p, producer)
            continue
        kept.append(n)
    return kept


def _bypass(n, p, producer):
    """Drop node n, folded into its producer p whose output only n read: p takes over n's
    output tensor (which may be the graph output), so n's consumers now read p."""
    del producer[p["output"]]
    p["output"] = n["output"]
    producer[p["output"]] = p


# -- numpy folding -------------------------------------------------------------------------------

def _dtype_name(elem_type):
    """The name of an ONNX data type; a number no ONNX version defines is shown as such."""
    try:
        return onnx.TensorProto.DataType.Name(elem_type)
    except ValueError:
        return f"undefined data type {elem_type}"


def _np(v):
    v = np.asarray(v)
    if v.dtype.kind == "f":
        return v.astype(np.float32)
    if v.dtype.kind in "iub":
        return v.astype(np.int64) if v.dtype.kind != "b" else v
    raise _Refusal(f"constant of dtype {v.dtype} is not supported")


def _attrs(node):
    out = {}
    for a in node.attribute:
        v = onnx.helper.get_attribute_value(a)
        if isinstance(v, onnx.TensorProto):
            v = numpy_helper.to_array(v)
        elif isinstance(v, bytes):
            v = v.decode()
        elif isinstance(v, list):
            v = [x.decode() if isinstance(x, bytes) else x for x in v]
        out[a.name] = v
    return out


def _fold_op(op, x, a):
    _check_fold_size(op, x, a)
    v = x[0]
    if op in ("Identity", "Cast"):
        if op == "Cast":
            to = a["to"]
            return v.astype(onnx.helper.tensor_dtype_to_np_dtype(to)) if not (v == _BATCH).any() else v
        return v
    if op in ("Add", "Sub", "Mul", "Div", "Pow", "Max", "Min", "Equal"):
        f = {"Add": np.add, "Sub": np.subtract, "Mul": np.multiply, "Pow": np.power,
             "Max": np.maximum, "Min": np.minimum, "Equal": np.equal}
        if op == "Div":
            return v // x[1] if v.dtype.kind == "i" else v / x[1]
        return f[op](v, x[1]).astype(v.dtype) if op != "Equal" else np.equal(v, x[1])
    if op == "Neg":
        return -v
    if op in ("Sqrt", "Reciprocal", "Floor", "Ceil"):
        return {"Sqrt": np.sqrt, "Reciprocal": np.reciprocal, "Floor": np.floor, "Ceil": np.ceil}[op](v)
    if op == "Gather":
        return np.take(v, x[1], axis=a.get("axis", 0))
    if op == "Unsqueeze":
        axes = a.get("axes", x[1] if len(x) > 1 else None)
        rank = v.ndim + len(np.atleast_1d(axes))
        out = v
        for ax in sorted(int(i) % rank for i in np.atleast_1d(axes)):
            out = np.expand_dims(out, ax)
        return out
    if op == "Squeeze":
        axes = a.get("axes", x[1] if len(x) > 1 and x[1] is not None else None)
        return np.squeeze(v) if axes is None else np.squeeze(v, tuple(int(i) for i in np.atleast_1d(axes)))
    if op == "Concat":
        return np.concatenate([np.atleast_1d(t) for t in x], axis=a["axis"])
    if op == "Slice":
        starts, ends = x[1], x[2]
        axes = x[3] if len(x) > 3 and x[3] is not None else range(len(starts))
        steps = x[4] if len(x) > 4 and x[4] is not None else [1] * len(starts)
        sl = [slice(None)] * v.ndim
        for s, e, ax, st in zip(starts, ends, axes, steps):
            sl[int(ax)] = slice(int(s), int(e), int(st))
        return v[tuple(sl)]
    if op == "Reshape":
        shape = [v.shape[i] if s == 0 else s for i, s in enumerate(x[1])]
        return v.reshape(shape)
    if op == "Flatten":
        ax = a.get("axis", 1)
        return v.reshape(int(np.prod(v.shape[:ax])), -1)
    if op == "Transpose":
        return np.transpose(v, a.get("perm"))
    if op == "ConstantOfShape":
        fill = a.get("value", np.zeros(1, np.float32))
        return np.full([int(s) for s in v], fill.reshape(-1)[0], dtype=fill.dtype)
    if op == "Expand":
        return v * np.ones([int(s) for s in x[1]], dtype=v.dtype)
    if op == "Where":
        return np.where(v, x[1], x[2])
    if op == "Range":
        return np.arange(v, x[1], x[2])
    raise _Refusal("this op is only supported on constants")


def _fold_result_elements(op, x, a):
    """The element count `_fold_op` would produce, computed without producing it (None: no
    larger than an input)."""
    def count(dims):
        dims = [int(d) for d in np.atleast_1d(dims)]
        if any(d < 0 for d in dims):
            raise _Refusal(f"{op} to the shape {dims}: a dimension is negative")
        return int(np.prod(dims, dtype=object)) if dims else 1
    arrays = [t for t in x if isinstance(t, np.ndarray)]
    if op == "ConstantOfShape":
        return count(x[0])
    if op == "Expand":
        shape = [int(d) for d in np.atleast_1d(x[1])]
        if any(d < 0 for d in shape):
            raise _Refusal(f"Expand to the shape {shape}: a dimension is negative")
        rank = max(len(shape), x[0].ndim)
        padded = [1] * (rank - x[0].ndim) + list(x[0].shape)
        wanted = [1] * (rank - len(shape)) + shape
        return count([max(p, w) for p, w in zip(padded, wanted)])
    if op == "Range":
        start, limit, delta = (float(np.asarray(t).reshape(-1)[0]) for t in x[:3])
        if delta == 0 or not np.isfinite([start, limit, delta]).all():
            raise _Refusal(f"Range({start}, {limit}, {delta}) has no finite length")
        return max(0, int(np.ceil((limit - start) / delta)))
    if op == "Concat":
        return sum(int(np.atleast_1d(t).size) for t in arrays)
    if op in ("Add", "Sub", "Mul", "Div", "Pow", "Max", "Min", "Equal", "Where", "Gather"):
        try:
            shapes = [t.shape for t in arrays]
            if op == "Gather":
                axis_len = x[0].shape[int(a.get("axis", 0)) % max(1, x[0].ndim)] if x[0].ndim else 1
                return int(np.prod(x[1].shape, dtype=object)) * (x[0].size // max(1, axis_len))
            return count(np.broadcast_shapes(*shapes))
        except ValueError as e:
            raise _Refusal(f"the inputs' shapes {[list(t.shape) for t in arrays]} do not broadcast: {e}")
    return None


def _check_fold_size(op, x, a):
    elements = _fold_result_elements(op, x, a)
    largest = max((t.size for t in x if isinstance(t, np.ndarray)), default=0)
    if elements is not None and elements > max(_MAX_CREATED_ELEMENTS, largest):
        raise _Refusal(f"folding this constant would create {elements} elements "
                       f"(at most {_MAX_CREATED_ELEMENTS} beyond the inputs' size)")


def _explicit_pads(a, hw, kernel, stride, dil):
    auto = a.get("auto_pad", "NOTSET")
    if auto in ("NOTSET", ""):
        pads = list(a.get("pads", [0, 0, 0, 0]))
        if len(pads) != 4:
            raise _Refusal(f"pads={pads}: 2-D pads [top, left, bottom, right] required")
        return pads
    if auto == "VALID":
        return [0, 0, 0, 0]
    if auto in ("SAME_UPPER", "SAME_LOWER"):
        begin, end = [], []
        for i in range(2):
            out = -(-hw[i] // stride[i])
            total = max((out - 1) * stride[i] + (kernel[i] - 1) * dil[i] + 1 - hw[i], 0)
            small, big = total // 2, total - total // 2
            begin.append(small if auto == "SAME_UPPER" else big)
            end.append(big if auto == "SAME_UPPER" else small)
        return begin + end
    raise _Refusal(f"auto_pad={auto} is not supported")


def _ceil_extra(size, pad_begin, pad_end, k, s):
    """Extra end padding that turns ceil_mode=1 into floor mode (the last window must start
    inside the input or the start padding, as PyTorch and ONNX Runtime do)."""
    span = size + pad_begin + pad_end - k
    out_floor = span // s + 1
    out_ceil = -(-span // s) + 1
    if (out_ceil - 1) * s >= size + pad_begin:
        out_ceil -= 1
    return max(0, (out_ceil - 1) * s + k - (size + pad_begin + pad_end)) if out_ceil > out_floor else 0


def _shape_str(shape):
    return "[" + ", ".join("batch" if s == int(_BATCH) else str(s) for s in shape) + "]"


def _dims_str(dims):
    return "[" + ", ".join(d.dim_param or str(d.dim_value) if (d.dim_param or d.HasField("dim_value"))
                           else "?" for d in dims) + "]"
