"""Synthetic model folders that check every op and plan kind of the Swift executor against the
Python reference (Models/training/zenith_prepare/graph_ref.py); GoldenTests runs each folder.

    .venv-train/bin/python Tests/ZenithExecutorTests/Fixtures/make_fixtures.py

Writes, next to this script (deterministic seeds, byte-identical on every run):
- `ops-conv`: every conv variant (1x1, 3x3 same with and without Winograd, 5x3 stride 2 with
  asymmetric pads, dilation, grouped, depthwise stride 1 / stride 2 with asymmetric pads and
  dilation, BN-as-depthwise 1x1), every activation fused and standalone, residual add, SE block,
  concat of 3, max/avg pools with (asymmetric) pads, reshapes, flatten, gemm, final softmax, and
  width plans on the SE gemm.
- `plans-cnn`: two branches; exits at either, both; filters from either branch on a Winograd
  conv -> maxpool -> conv, a MobileNetV2 expand conv -> depthwise -> 1x1, a conv -> global
  pool -> gemm; exits and filters combined.
- `plans-mlp`: gemm chain with keep / topk plans, including a sigmoid-activated gemm.

Samples are drawn from a larger pool, keeping only those whose every decision (exit threshold,
top classes, top-k boundary) has a margin, so float rounding cannot flip a decision between
PyTorch and the executor.
"""
import sys
from pathlib import Path

import numpy as np
import torch
from onnx import TensorProto, helper

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
sys.path.insert(0, str(ROOT / "Models" / "training"))

from zenith_prepare.golden import golden_tensors  # noqa: E402
from zenith_prepare.graph_ref import GraphModule  # noqa: E402
from zenith_prepare.writer import build_config, write_model_folder  # noqa: E402

SAMPLES = 37
POOL = 400
MARGIN = 2e-3  # smallest allowed gap at any decision, in probability or logit units


def tiny_onnx(input_dims, classes):
    """The writer requires a model.onnx; nothing reads it for these fixtures (they are not
    benchmarked against ONNX Runtime). A constant-logits graph of the right interface."""
    x = helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, *input_dims])
    y = helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, classes])
    const = helper.make_tensor("zeros", TensorProto.FLOAT, [1, classes], [0.0] * classes)
    nodes = [helper.make_node("Constant", [], ["z"], value=const),
             helper.make_node("Identity", ["z"], ["logits"])]
    graph = helper.make_graph(nodes, "fixture", [x], [y])
    model = helper.make_model(graph, producer_name="make_fixtures", opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    return model.SerializeToString()


class Builder:
    """Graph dict + random weights, node by node."""

    def __init__(self, seed, input_dims, input_name="input"):
        self.rng = np.random.default_rng(seed)
        self.weights = {}
        self.nodes = []
        self.shapes = {input_name: tuple(input_dims)}
        self.input = input_name

    def _add(self, node, shape):
        self.nodes.append(node)
        self.shapes[node["output"]] = tuple(shape)
        return node["output"]

    def conv(self, name, x, out, k, stride=(1, 1), pads=(0, 0, 0, 0), dilation=(1, 1), groups=1,
             activation=None, scale=1.0, depthwise_bn=False):
        c, h, w = self.shapes[x]
        kh, kw = k
        fan_in = c // groups * kh * kw
        wt = self.rng.standard_normal((out, c // groups, kh, kw)) * np.sqrt(2.0 / fan_in) * scale
        if depthwise_bn:  # a folded BatchNormalization: per-channel scale and shift
            wt = self.rng.uniform(0.5, 1.5, (out, 1, 1, 1))
        self.weights[f"{name}.weight"] = wt.astype(np.float32)
        self.weights[f"{name}.bias"] = (self.rng.standard_normal(out) * 0.1).astype(np.float32)
        node = {"name": name, "op": "conv", "inputs": [x], "output": name, "stride": list(stride),
                "pads": list(pads), "dilation": list(dilation), "groups": groups}
        if activation:
            node["activation"] = activation
        t, l, b, r = pads
        oh = (h + t + b - dilation[0] * (kh - 1) - 1) // stride[0] + 1
        ow = (w + l + r - dilation[1] * (kw - 1) - 1) // stride[1] + 1
        return self._add(node, (out, oh, ow))

    def gemm(self, name, x, out, activation=None, scale=1.0):
        (n,) = self.shapes[x]
        self.weights[f"{name}.weight"] = (self.rng.standard_normal((out, n)) * np.sqrt(2.0 / n) * scale).astype(np.float32)
        self.weights[f"{name}.bias"] = (self.rng.standard_normal(out) * 0.1).astype(np.float32)
        node = {"name": name, "op": "gemm", "inputs": [x], "output": name}
        if activation:
            node["activation"] = activation
        return self._add(node, (out,))

    def op(self, name, op, inputs, out_shape, **attributes):
        return self._add({"name": name, "op": op, "inputs": list(inputs), "output": name, **attributes}, out_shape)

    def act(self, name, op, x):
        return self.op(name, op, [x], self.shapes[x])

    def pool(self, name, op, x, kernel, stride, pads, **attributes):
        c, h, w = self.shapes[x]
        t, l, b, r = pads
        shape = (c, (h + t + b - kernel[0]) // stride[0] + 1, (w + l + r - kernel[1]) // stride[1] + 1)
        return self.op(name, op, [x], shape, kernel=list(kernel), stride=list(stride), pads=list(pads), **attributes)

    def importance(self, name, classes):
        out = self.weights[f"{name}.weight"].shape[0]
        rows = self.rng.uniform(0.05, 1.0, (classes, out))
        self.weights[f"importance.{name}"] = (rows / rows.sum(1, keepdims=True)).astype(np.float32)

    def rename_output(self, tensor, new):
        """Renames the tensor (and its node) `tensor` to `new` (the graph's output name)."""
        for n in self.nodes:
            if n["output"] == tensor:
                n["output"] = new
        self.shapes[new] = self.shapes.pop(tensor)
        return new


def standardize(graph, weights, dims, x, gains, skip=()):
    """Data-dependent init: rescales each conv/gemm (trunk, then branches, in order) so that
    over the pool every output channel's pre-activation has mean `beta` ~ N(0, 0.3) and std
    `gains.get(node, 1)`. Random weights otherwise saturate sigmoids and kill ReLUs, and the
    logits barely depend on the early layers; standardized, a wrong kernel shows in the output."""
    torch.set_num_threads(1)
    module = GraphModule(graph, weights, dims)
    rng = np.random.default_rng(7)
    env = {graph["input"]: x}
    lists = [(graph["nodes"], module.trunk)] + [(b["nodes"], mods) for b, mods in zip(graph["branches"], module.branches)]
    with torch.no_grad():
        for specs, mods in lists:
            benv = dict(env)
            for spec, mod in zip(specs, mods):
                ins = [benv[t] for t in spec["inputs"]]
                if spec["op"] in ("conv", "gemm") and spec["name"] not in skip:
                    act, mod.act = mod.act, torch.nn.Identity()
                    y = mod(*ins).double()
                    mod.act = act
                    dims_ = (0, 2, 3) if y.dim() == 4 else (0,)
                    mean, std = y.mean(dims_), y.std(dims_).clamp_min(1e-6)
                    gain = gains.get(spec["name"], 1.0)
                    beta = torch.as_tensor(rng.standard_normal(mean.shape[0]) * 0.3)
                    scale = gain / std
                    w = mod.weight.double() * scale.reshape(-1, *([1] * (mod.weight.dim() - 1)))
                    mod.weight.copy_(w.float())
                    mod.bias.copy_(((mod.bias.double() - mean) * scale + beta).float())
                benv[spec["output"]] = mod(*ins)
            if specs is graph["nodes"]:
                env = benv
    weights.update(module.export_weights())


# ---------------------------------------------------------------------------------------------
# Margins: every decision a plan makes must be clear of float rounding.

def softmax_top(logits):
    return torch.softmax(logits.double(), dim=1).max(dim=1).values.numpy()


def top_gap(values, k):
    """Per row: the gap between the k-th and (k+1)-th largest value (inf if k >= width)."""
    s = np.sort(values, axis=1)[:, ::-1]
    if k >= s.shape[1]:
        return np.full(s.shape[0], np.inf)
    return s[:, k - 1] - s[:, k]


def threshold_between(conf, quantile):
    """A threshold at about `quantile` of `conf`, in the middle of the widest gap nearby."""
    s = np.sort(conf)
    i = int(round(quantile * (len(s) - 1)))
    lo, hi = max(1, i - len(s) // 10), min(len(s) - 1, i + len(s) // 10)
    j = max(range(lo, hi + 1), key=lambda j: s[j] - s[j - 1])
    return float(np.float32((s[j] + s[j - 1]) / 2))


def branch_margins(module, x, plan, graph):
    """Per sample: the smallest margin of the plan's exit and filter-class decisions."""
    with torch.no_grad():
        r = module.run(x, plan)
    names = [b["name"] for b in graph.get("branches", [])]
    margin = np.full(x.shape[0], np.inf)
    for b, t in plan.get("exits", {}).items():
        margin = np.minimum(margin, np.abs(softmax_top(r["branch_logits"][b]) - t))
    if "filters" in plan:
        f = plan["filters"]
        logits = r["branch_logits"][f["branch"]].double().numpy()
        margin = np.minimum(margin, top_gap(logits, f["classes"]))
    assert set(r["branch_logits"]) <= set(names)
    return margin, r


def exit_confidences(module, x, graph, plan):
    """{branch: softmax top probability} under `plan` with nobody leaving (thresholds > 1)."""
    probe = dict(plan, exits={b: 2.0 for b in plan["exits"]})
    with torch.no_grad():
        r = module.run(x, probe)
    return {b: softmax_top(r["branch_logits"][b]) for b in r["branch_logits"]}


# ---------------------------------------------------------------------------------------------
# Fixtures

def ops_conv():
    dims, classes = (3, 13, 11), 7
    g = Builder(101, dims)
    t1 = g.conv("c1", "input", 8, (3, 3), pads=(1, 1, 1, 1), activation="relu")         # 3x3 same, im2col (< 8 ch)
    t2 = g.conv("c2", t1, 8, (3, 3), pads=(1, 1, 1, 1), activation="hardswish")          # 3x3 same, Winograd
    t3 = g.conv("bn", t2, 8, (1, 1), groups=8, depthwise_bn=True)                         # BN as depthwise 1x1
    t4 = g.op("res", "add", [t3, t1], g.shapes[t1], activation="relu6")                  # residual add + act
    t5 = g.conv("c3", t4, 12, (1, 1), activation="sigmoid")                               # 1x1
    ta = g.conv("dwA", t5, 12, (3, 3), pads=(1, 1, 1, 1), groups=12, activation="relu6")  # depthwise s1
    tb = g.conv("cgB", t5, 8, (3, 3), pads=(1, 1, 1, 1), groups=2, activation="hardsigmoid")  # grouped
    tc = g.conv("cdC", t5, 4, (3, 3), pads=(2, 2, 2, 2), dilation=(2, 2), activation="hardswish")  # dilation 2
    cat = g.op("cat", "concat", [ta, tb, tc], (24, 13, 11))
    # Squeeze-and-excitation.
    s = g.op("se_pool", "global_avgpool", [cat], (24, 1, 1))
    s = g.op("se_flat", "flatten", [s], (24,))
    s = g.gemm("se_fc1", s, 10, activation="relu")
    s = g.gemm("se_fc2", s, 24, activation="hardsigmoid")
    s = g.op("se_shape", "reshape", [s], (24, 1, 1), shape=[24, 1, 1])
    m = g.op("se_mul", "mul", [cat, s], (24, 13, 11))
    p = g.pool("ap1", "avgpool", m, (3, 3), (1, 1), (1, 1, 1, 1), count_include_pad=True)
    p = g.act("relu_sa", "relu", p)
    d = g.conv("dwS", p, 24, (3, 3), stride=(2, 2), pads=(1, 2, 2, 1), dilation=(2, 2), groups=24)  # depthwise s2
    k = g.conv("c4", t4, 24, (5, 3), stride=(2, 2), pads=(2, 1, 1, 0))                    # 5x3 stride 2, asym pads
    k = g.act("hardswish_sa", "hardswish", k)
    assert g.shapes[d] == g.shapes[k] == (24, 6, 5), (g.shapes[d], g.shapes[k])
    a = g.op("add2", "add", [d, k], (24, 6, 5))                                           # signed: pads must never win
    a = g.pool("mp", "maxpool", a, (3, 3), (2, 2), (1, 1, 2, 2))                          # ceil-mode style pads
    a = g.pool("ap2", "avgpool", a, (2, 2), (1, 1), (0, 1, 1, 0), count_include_pad=False)
    a2 = g.pool("ap3", "avgpool", a, (3, 2), (1, 1), (1, 0, 1, 1), count_include_pad=True)  # asym, include
    a2 = g.act("sigmoid_sa", "sigmoid", a2)
    c, h, w = g.shapes[a]
    r3 = g.op("reshape3", "reshape", [a], (c // 2, h * 2, w), shape=[c // 2, h * 2, w])   # rank 3 -> rank 3
    r3 = g.act("relu6_sa", "relu6", r3)
    r3 = g.conv("c5", r3, 6, (1, 1), scale=2.0)
    r3 = g.act("hardsigmoid_sa", "hardsigmoid", r3)
    f1 = g.op("flat", "flatten", [r3], (int(np.prod(g.shapes[r3])),))
    f1 = g.gemm("fc1", f1, 16, activation="relu6")
    f2 = g.op("reshape1", "reshape", [a2], (int(np.prod(g.shapes[a2])),), shape=[int(np.prod(g.shapes[a2]))])
    f2 = g.gemm("fc2", f2, 16, activation="hardswish")
    f = g.op("add3", "add", [f1, f2], (16,), activation="sigmoid")
    f = g.gemm("fc3", f, 12, activation="sigmoid")
    f = g.gemm("fc4", f, classes, scale=4.0)
    g.op("softmax", "softmax", [f], (classes,))
    out = g.rename_output("softmax", "logits")
    graph = {"input": "input", "output": out, "nodes": g.nodes, "branches": []}
    plans = [{"name": "dense"},
             {"name": "se-keep", "width": {"se_fc1": {"keep": 6}}},
             {"name": "se-topk", "width": {"se_fc1": {"keep": 8, "topk": 3}}},
             {"name": "fc3-topk", "width": {"fc3": {"keep": 9, "topk": 5}}}]
    x = torch.as_tensor(np.random.default_rng(102).standard_normal((POOL, *dims)).astype(np.float32))
    gains = {"fc4": 2.5, "se_fc2": 2.0}
    return "ops-conv", graph, g.weights, dims, classes, plans, x, 16, None, gains, ("bn",)


def plans_cnn():
    dims, classes = (3, 13, 11), 5
    g = Builder(201, dims)
    t1 = g.conv("c1", "input", 8, (3, 3), pads=(1, 1, 1, 1), activation="relu")   # branch A reads t1
    t2 = g.conv("c2", t1, 12, (3, 3), pads=(1, 1, 1, 1), activation="hardswish")   # Winograd, filtered
    p = g.pool("mp1", "maxpool", t2, (2, 2), (2, 2), (0, 0, 1, 1))
    t3 = g.conv("c3", p, 16, (1, 1), activation="relu6")                           # expand, filtered
    d = g.conv("dw", t3, 16, (3, 3), pads=(1, 1, 1, 1), groups=16, activation="relu6")
    t4 = g.conv("c4", d, 10, (1, 1))                                                # project; branch B reads t4
    t5 = g.conv("c5", t4, 14, (3, 3), pads=(1, 1, 1, 1), activation="hardswish")   # Winograd, filtered
    q = g.op("gap", "global_avgpool", [t5], (14, 1, 1))
    q = g.op("flat", "flatten", [q], (14,))
    g.gemm("fc", q, classes, scale=3.0)
    out = g.rename_output("fc", "logits")
    trunk = g.nodes
    # Branch A at t1: maxpool -> flatten -> gemm.
    g.nodes = []
    a = g.pool("A.pool", "maxpool", t1, (2, 2), (2, 2), (0, 0, 0, 0))
    a = g.op("A.flat", "flatten", [a], (int(np.prod(g.shapes[a])),))
    a = g.gemm("A.fc", a, classes, scale=1.5)
    branch_a = {"name": "A", "at": t1, "nodes": g.nodes, "output": a}
    # Branch B at t4: global pool -> flatten -> gemm -> gemm.
    g.nodes = []
    b = g.op("B.gap", "global_avgpool", [t4], (10, 1, 1))
    b = g.op("B.flat", "flatten", [b], (10,))
    b = g.gemm("B.fc1", b, 12, activation="relu")
    b = g.gemm("B.fc2", b, classes, scale=4.0)
    branch_b = {"name": "B", "at": t4, "nodes": g.nodes, "output": b}
    graph = {"input": "input", "output": out, "nodes": trunk, "branches": [branch_a, branch_b]}
    for conv in ("c2", "c3", "c5"):
        g.importance(conv, classes)
    filters_a = {"branch": "A", "classes": 2, "layers": {"c2": {"per_class": 4, "cap": 6},
                                                         "c3": {"per_class": 5, "cap": 7},
                                                         "c5": {"per_class": 4, "cap": 6}}}
    filters_b = {"branch": "B", "classes": 2, "layers": {"c5": {"per_class": 3, "cap": 5}}}
    # Thresholds are placeholders: `thresholds` replaces them with quantiles of the pool.
    plans = [{"name": "dense"},
             {"name": "exit-A", "exits": {"A": 0.5}},
             {"name": "exit-B", "exits": {"B": 0.5}},
             {"name": "exit-AB", "exits": {"B": 0.5, "A": 0.5}},
             {"name": "filters-A", "filters": filters_a},
             {"name": "filters-B", "filters": filters_b},
             {"name": "exit-AB-filters-A", "exits": {"A": 0.5, "B": 0.5}, "filters": filters_a},
             {"name": "exit-A-filters-B", "exits": {"A": 0.5}, "filters": filters_b}]
    x = torch.as_tensor(np.random.default_rng(202).standard_normal((POOL, *dims)).astype(np.float32))
    gains = {"fc": 3.0, "A.fc": 2.0, "B.fc2": 2.5}
    return "plans-cnn", graph, g.weights, dims, classes, plans, x, 32, {"A": 0.45, "B": 0.5}, gains


def plans_mlp():
    dims, classes = (29,), 6
    g = Builder(301, dims)
    h = g.gemm("g1", "input", 40, activation="relu")
    h = g.gemm("g2", h, 24, activation="relu")
    h = g.gemm("g3", h, 18, activation="sigmoid", scale=2.0)
    g.gemm("g4", h, classes, scale=2.0)
    out = g.rename_output("g4", "logits")
    graph = {"input": "input", "output": out, "nodes": g.nodes, "branches": []}
    plans = [{"name": "dense"},
             {"name": "keep-g1", "width": {"g1": {"keep": 25}}},
             {"name": "topk-g1", "width": {"g1": {"keep": 30, "topk": 11}}},
             {"name": "topk-g2-g3", "width": {"g2": {"keep": 17, "topk": 9}, "g3": {"keep": 13, "topk": 5}}},
             {"name": "keep-sigmoid", "width": {"g3": {"keep": 10}}},
             {"name": "topk-sigmoid", "width": {"g3": {"topk": 7}}}]
    x = torch.as_tensor(np.random.default_rng(302).standard_normal((POOL, *dims)).astype(np.float32))
    gains = {"g3": 2.0, "g4": 2.5}
    return "plans-mlp", graph, g.weights, dims, classes, plans, x, 32, None, gains


def topk_margins(module, graph, x, plans):
    """Per sample: the smallest gap at any top-k boundary of the plans' width settings."""
    margin = np.full(x.shape[0], np.inf)
    with torch.no_grad():
        env = {graph["input"]: x}
        for spec in graph["nodes"]:
            env[spec["output"]] = module.node_module(spec["name"])(*[env[t] for t in spec["inputs"]])
    for p in plans:
        for gemm, c in p.get("width", {}).items():
            if "topk" not in c:
                continue
            y = env[gemm].double().numpy()[:, :c.get("keep", env[gemm].shape[1])]
            margin = np.minimum(margin, top_gap(y, c["topk"]))
    return margin


def set_thresholds(module, graph, x, plans, quantiles):
    """Each exit threshold at its branch's quantile over the pool samples still in the trunk."""
    names = [b["name"] for b in graph["branches"]]
    for p in plans:
        if "exits" not in p:
            continue
        conf = exit_confidences(module, x, graph, p)
        alive = np.ones(x.shape[0], dtype=bool)
        for b in names:  # trunk order
            if b not in p["exits"]:
                continue
            p["exits"][b] = threshold_between(conf[b][alive], quantiles[b])
            alive &= conf[b] < p["exits"][b]


def build(name, graph, weights, dims, classes, plans, pool, max_batch, quantiles, gains, skip=()):
    standardize(graph, weights, dims, pool, gains, skip)
    torch.set_num_threads(1)
    module = GraphModule(graph, weights, dims)
    if quantiles:
        set_thresholds(module, graph, pool, plans, quantiles)
    margin = topk_margins(module, graph, pool, plans)
    for p in plans:
        m, _ = branch_margins(module, pool, p, graph)
        margin = np.minimum(margin, m)
    chosen = np.flatnonzero(margin > MARGIN)[:SAMPLES]
    assert len(chosen) == SAMPLES, f"{name}: only {len(chosen)} samples clear of every decision"
    x = pool[chosen]
    labels = np.arange(SAMPLES) % classes
    golden = golden_tensors(module, plans, x.numpy(), labels)
    for p in plans:  # every exit plan must send some samples out and keep some at each branch
        if "exits" in p:
            exited = golden[f"exited.{p['name']}"]
            for i, b in enumerate(graph["branches"]):
                if b["name"] in p["exits"]:
                    assert (exited == i + 1).any(), f"{name} {p['name']}: nobody leaves at {b['name']}"
            assert (exited == 0).any(), f"{name} {p['name']}: everybody leaves"
    config = build_config(name, graph, dims, plans, num_classes=classes, max_batch_size=max_batch,
                          data={"validation": "synthetic: random weights and inputs (make_fixtures.py)"})
    labels_txt = [f"class{i}" for i in range(classes)]
    dest = write_model_folder(HERE / name, config, labels_txt, weights, golden,
                              tiny_onnx(dims, classes), overwrite=True)
    summary = ", ".join(f"{p['name']} exits {np.bincount(golden[f'exited.' + p['name']], minlength=len(graph['branches']) + 1).tolist()}"
                        for p in plans if "exits" in p)
    print(f"{dest.relative_to(ROOT)}: {len(plans)} plans, {SAMPLES} samples (of {len(np.flatnonzero(margin > MARGIN))} clear)"
          + (f"; {summary}" if summary else ""))


def main():
    for make in (ops_conv, plans_cnn, plans_mlp):
        build(*make())


if __name__ == "__main__":
    main()
