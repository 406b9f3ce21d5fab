"""PyTorch reference interpreter of the Zenith graph format (Models/FORMAT.md).

`GraphModule` runs a graph (or a legacy sequential `"network"`, read as a chain graph) over a
batch, dense or under a plan: width (keep/topk on gemms), multi-branch exits and
class-conditional filters. It returns logits, the branch each sample left at, per-conv filter
masks and multiply-adds per sample. Every node is its own `nn.Module` (activation included), so
Captum's `LayerDeepLift` can attribute a node's output and branch heads can be trained with the
trunk frozen. The golden outputs come from here; the Swift executor must match it.

Cost model (multiply-adds only): conv `Hout*Wout*kh*kw * sum over groups of
(computed input channels * computed output channels)`, gemm `computed inputs * kept outputs`;
pooling, activations, add/mul, softmax and the selections are free. A channel or feature is
"computed" unless a plan made it zero (filters, keep/topk); element-wise ops, pools and
flatten carry that through, so a consumer reads only computed inputs.
"""
import math
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

ACTIVATIONS = ("relu", "relu6", "hardswish", "hardsigmoid", "sigmoid")
# f(0) == 0: a zero (not computed) channel stays zero through these.
_ZERO_PRESERVING_ACTS = ("relu", "relu6", "hardswish")
# Channel-wise ops that keep a zero channel zero; a filtered conv may reach its consumer
# through them (see `validate_plan`).
_CHANNELWISE_OPS = ("maxpool", "avgpool", "global_avgpool") + _ZERO_PRESERVING_ACTS
OPS = ("conv", "gemm", "add", "mul", "concat", "maxpool", "avgpool", "global_avgpool",
       "flatten", "reshape", "softmax") + ACTIVATIONS


def activation_module(name):
    """A fresh module for a node's `activation` (None = identity); one instance per node so
    Captum's DeepLIFT hooks see each non-linearity once."""
    if name is None:
        return nn.Identity()
    return {"relu": nn.ReLU, "relu6": nn.ReLU6, "hardswish": nn.Hardswish,
            "hardsigmoid": nn.Hardsigmoid, "sigmoid": nn.Sigmoid}[name]()


# ---------------------------------------------------------------------------------------------
# Selection rules

def select_filters(branch_logits, table, classes, per_class, cap):
    """Filter selection of the contract. branch_logits [N,K] f32, table [K,F] f32 -> bool [N,F].

    C = the `classes` largest logits (ties to the lower class index); U = union over c in C of
    the `per_class` largest entries of T[c] (ties to the lower filter index); if |U| > cap keep
    the `cap` members of U with the highest float64 sum over C (in descending-logit order) of
    T[c][f], ties to the lower index."""
    n = branch_logits.shape[0]
    k, f = table.shape
    order = torch.sort(branch_logits, dim=1, descending=True, stable=True).indices[:, :classes]
    rows = torch.sort(table, dim=1, descending=True, stable=True).indices[:, :per_class]
    top = torch.zeros(k, f, dtype=torch.bool).scatter_(1, rows, True)
    union = top[order].any(dim=1)
    t64 = table.double()
    score = torch.zeros(n, f, dtype=torch.float64)
    for j in range(order.shape[1]):
        score = score + t64[order[:, j]]
    score = score.masked_fill(~union, float("-inf"))
    idx = torch.sort(score, dim=1, descending=True, stable=True).indices[:, :cap]
    sel = torch.zeros(n, f, dtype=torch.bool).scatter_(1, idx, True)
    return sel & union


def topk_select(h, k, valid=None):
    """bool mask of the k largest entries of each row of h (ties to the lower index); only
    entries in `valid` (bool, same shape) are eligible."""
    hs = h if valid is None else h.masked_fill(~valid, float("-inf"))
    idx = torch.sort(hs, dim=1, descending=True, stable=True).indices[:, :k]
    sel = torch.zeros(h.shape, dtype=torch.bool).scatter_(1, idx, True)
    return sel if valid is None else sel & valid


# ---------------------------------------------------------------------------------------------
# Graph description helpers

def chain_graph(network, input_name="input", output_name="logits"):
    """Legacy Models/FORMAT.md `"network"` -> a graph of this format (same node names, so the
    legacy weights, tables and plans apply unchanged). The branch is named "branch"."""
    used = set()

    def convert(layers, src, prefix, final):
        nodes, cur, flat = [], src, src == input_name and layers and layers[0]["op"] == "linear"
        for i, op in enumerate(layers):
            kind = op["op"]

            def add(node):
                name = node["name"]
                while name in used or name in (input_name, output_name):
                    name += "_"
                used.add(name)
                node.update(name=name, inputs=[nodes[-1]["output"] if nodes else cur], output=name)
                nodes.append(node)

            if kind == "linear" and not flat:
                add({"name": f"{prefix}flatten{i}", "op": "flatten"})
            if kind == "conv2d":
                s, p = op.get("stride", 1), op.get("padding", 0)
                add({"name": op["name"], "op": "conv", "stride": [s, s], "pads": [p, p, p, p],
                     "dilation": [1, 1], "groups": 1})
                flat = False
            elif kind == "maxpool2d":
                k, s = op["kernel"], op["stride"]
                add({"name": f"{prefix}maxpool{i}", "op": "maxpool", "kernel": [k, k],
                     "stride": [s, s], "pads": [0, 0, 0, 0]})
            elif kind == "global_avgpool":
                add({"name": f"{prefix}global_avgpool{i}", "op": "global_avgpool"})
            elif kind == "flatten":
                add({"name": f"{prefix}flatten{i}", "op": "flatten"})
                flat = True
            elif kind == "linear":
                add({"name": op["name"], "op": "gemm"})
                flat = True
            else:
                raise ValueError(f"legacy network: unknown op {kind}")
            if op.get("relu"):
                nodes[-1]["activation"] = "relu"
        if final:
            nodes[-1]["output"] = output_name
        return nodes

    trunk = convert(network["layers"], input_name, "", True)
    graph = {"input": input_name, "output": output_name, "nodes": trunk, "branches": []}
    branch = network.get("branch")
    if branch:
        at = next(n["output"] for n in trunk if n["name"] == branch["after"])
        bnodes = convert(branch["layers"], at, "branch.", False)
        graph["branches"].append({"name": "branch", "at": at, "nodes": bnodes,
                                  "output": bnodes[-1]["output"]})
    return graph


def node_output_shape(node, in_shapes, weights):
    """Per-sample output shape of a node from its input shapes; raises ValueError on a
    malformed node."""
    op, name = node["op"], node["name"]
    x = tuple(in_shapes[0])
    if op in ("conv", "gemm"):
        w = tuple(weights[f"{name}.weight"].shape)
        b = tuple(weights[f"{name}.bias"].shape)
        if b != (w[0],):
            raise ValueError(f"{name}: bias {b} does not match weight {w}")
    if op == "conv":
        if len(x) != 3 or len(w) != 4:
            raise ValueError(f"{name}: conv needs [C,H,W] input and a rank-4 weight")
        g = node.get("groups", 1)
        if x[0] != w[1] * g or w[0] % g:
            raise ValueError(f"{name}: {x[0]} input channels, weight {w}, groups {g}")
        t, l, bo, r = node.get("pads", [0, 0, 0, 0])
        sh, sw = node.get("stride", [1, 1])
        dh, dw = node.get("dilation", [1, 1])
        h = (x[1] + t + bo - dh * (w[2] - 1) - 1) // sh + 1
        ww = (x[2] + l + r - dw * (w[3] - 1) - 1) // sw + 1
        out = (w[0], h, ww)
    elif op == "gemm":
        if len(x) != 1 or w[1] != x[0]:
            raise ValueError(f"{name}: gemm weight {w} on input {x}")
        out = (w[0],)
    elif op in ACTIVATIONS or op == "softmax":
        if op == "softmax" and len(x) != 1:
            raise ValueError(f"{name}: softmax needs a flat input, got {x}")
        out = x
    elif op == "add":
        if tuple(in_shapes[1]) != x:
            raise ValueError(f"{name}: add of {x} and {tuple(in_shapes[1])}")
        out = x
    elif op == "mul":
        b = tuple(in_shapes[1])
        if not (b == x or (len(x) == 3 and b == (x[0], 1, 1))):
            raise ValueError(f"{name}: mul of {x} and {b}")
        out = x
    elif op == "concat":
        if any(len(s) != 3 or tuple(s[1:]) != x[1:] for s in in_shapes) or len(in_shapes) < 2:
            raise ValueError(f"{name}: concat of {in_shapes}")
        out = (sum(s[0] for s in in_shapes),) + x[1:]
    elif op in ("maxpool", "avgpool"):
        kh, kw = node["kernel"]
        sh, sw = node.get("stride", [1, 1])
        t, l, bo, r = node.get("pads", [0, 0, 0, 0])
        out = (x[0], (x[1] + t + bo - kh) // sh + 1, (x[2] + l + r - kw) // sw + 1)
    elif op == "global_avgpool":
        out = (x[0], 1, 1)
    elif op == "flatten":
        out = (int(np.prod(x)),)
    elif op == "reshape":
        out = tuple(node["shape"])
        if len(out) not in (1, 3) or int(np.prod(out)) != int(np.prod(x)):
            raise ValueError(f"{name}: reshape {x} -> {out}")
    else:
        raise ValueError(f"{name}: unknown op {op}")
    if len(out) not in (1, 3) or min(out) < 1:
        raise ValueError(f"{name}: output shape {out}")
    return out


def infer_shapes(graph, weights, input_dims):
    """{tensor: per-sample shape} for the trunk and every branch."""
    shapes = {graph["input"]: tuple(input_dims)}
    for nodes in [graph["nodes"]] + [b["nodes"] for b in graph.get("branches", [])]:
        for n in nodes:
            shapes[n["output"]] = node_output_shape(n, [shapes[t] for t in n["inputs"]], weights)
    return shapes


def consumers(graph):
    """{tensor: [node, ...]} over the trunk and branches; the graph output and branch outputs
    count as a consumer (None)."""
    out = {}
    for nodes in [graph["nodes"]] + [b["nodes"] for b in graph.get("branches", [])]:
        for n in nodes:
            for t in n["inputs"]:
                out.setdefault(t, []).append(n)
    out.setdefault(graph["output"], []).append(None)
    for b in graph.get("branches", []):
        out.setdefault(b["at"], []).append(None)
        out.setdefault(b["output"], []).append(None)
    return out


@dataclass
class Plan:
    """A plan resolved against a graph: branch indices instead of names."""
    name: str
    width: dict = field(default_factory=dict)       # gemm -> {"keep": k, "topk": t}
    exits: dict = field(default_factory=dict)       # branch index -> threshold
    filter_branch: int = None
    filter_classes: int = 0
    filters: dict = field(default_factory=dict)     # conv -> {"per_class": p, "cap": c}

    @property
    def run_branches(self):
        return set(self.exits) | ({self.filter_branch} if self.filter_branch is not None else set())


def resolve_plan(graph, plan):
    """Plan dict (contract or legacy single-branch form) -> `Plan`."""
    plan = plan or {"name": "dense"}
    names = [b["name"] for b in graph.get("branches", [])]

    def branch_index(name, what):
        if name is None:
            if len(names) != 1:
                raise ValueError(f"plan {plan.get('name')}: legacy {what} needs exactly one branch")
            return 0
        if name not in names:
            raise ValueError(f"plan {plan.get('name')}: unknown branch {name}")
        return names.index(name)

    p = Plan(name=plan.get("name", "dense"), width=dict(plan.get("width", {})))
    if "exit" in plan:
        p.exits[branch_index(None, "exit")] = float(plan["exit"]["threshold"])
    for b, t in plan.get("exits", {}).items():
        p.exits[branch_index(b, "exits")] = float(t)
    if plan.get("filters"):
        f = plan["filters"]
        p.filter_branch = branch_index(f.get("branch"), "filters")
        p.filter_classes = int(f["classes"])
        p.filters = dict(f["layers"])
    return p


def validate_plan(graph, weights, plan):
    """Raise ValueError if a plan breaks the contract's structural rules.

    width: the gemm's output feeds exactly one gemm directly. filters: the conv is in the trunk
    after the filter branch's point, has an importance table, and its output reaches, through
    single-consumer channel-wise ops that keep zeros (pools, relu/relu6/hardswish), either a
    groups-1 conv, a gemm (through flatten), or a depthwise conv whose single consumer is a
    groups-1 conv."""
    p = resolve_plan(graph, plan)
    cons = consumers(graph)
    by_name = {n["name"]: n for n in graph["nodes"]}
    for b in graph.get("branches", []):
        by_name.update({n["name"]: n for n in b["nodes"]})
    for g, c in p.width.items():
        n = by_name.get(g)
        if n is None or n["op"] != "gemm":
            raise ValueError(f"plan {p.name}: width on {g}, not a gemm")
        nxt = cons.get(n["output"], [])
        if len(nxt) != 1 or nxt[0] is None or nxt[0]["op"] != "gemm":
            raise ValueError(f"plan {p.name}: width on {g}, whose output does not feed exactly one gemm")
        out = weights[f"{g}.weight"].shape[0]
        if not 1 <= c.get("keep", out) <= out or c.get("topk", 1) < 1:
            raise ValueError(f"plan {p.name}: width {c} on {g} with {out} outputs")
    if p.filters:
        at = graph["branches"][p.filter_branch]["at"]
        order = [n["output"] for n in graph["nodes"]]
        start = 0 if at == graph["input"] else order.index(at) + 1
        after = {n["name"]: n for n in graph["nodes"][start:]}
        for conv, c in p.filters.items():
            n = after.get(conv)
            if n is None or n["op"] != "conv":
                raise ValueError(f"plan {p.name}: filters on {conv}, not a trunk conv after the branch point")
            if n.get("groups", 1) != 1:
                raise ValueError(f"plan {p.name}: filters on {conv}, a grouped conv (filters need groups 1)")
            if f"importance.{conv}" not in weights:
                raise ValueError(f"plan {p.name}: no importance.{conv} table")
            if not _filter_consumer_ok(n, cons, weights):
                raise ValueError(f"plan {p.name}: filters on {conv}, whose output is not consumed "
                                 "by a single groups-1 conv, gemm or depthwise->conv chain")
            if c["per_class"] < 1 or c["cap"] < 1:
                raise ValueError(f"plan {p.name}: filters {c} on {conv}")
    return p


def _filter_consumer_ok(node, cons, weights):
    t = node["output"]
    depthwise_seen = False
    while True:
        nxt = cons.get(t, [])
        if len(nxt) != 1 or nxt[0] is None:
            return False
        n = nxt[0]
        if n["op"] == "conv":
            cin = weights[f"{n['name']}.weight"].shape[1] * n.get("groups", 1)
            if n.get("groups", 1) == 1:
                return True
            if depthwise_seen or n["groups"] != cin or weights[f"{n['name']}.weight"].shape[0] != cin:
                return False
            depthwise_seen = True
        elif depthwise_seen:
            if n["op"] not in _CHANNELWISE_OPS:
                return False
        elif n["op"] in ("gemm",):
            return True
        elif n["op"] not in _CHANNELWISE_OPS + ("flatten",):
            return False
        t = n["output"]


# ---------------------------------------------------------------------------------------------
# Node modules

def _pad_arg(pads, kernel=None):
    """pads [t,l,b,r] -> symmetric (ph, pw) if PyTorch's own padding can do it, else None."""
    t, l, b, r = pads
    if t != b or l != r:
        return None
    if kernel is not None and (2 * t > kernel[0] or 2 * l > kernel[1]):
        return None
    return (t, l)


class ConvNode(nn.Module):
    def __init__(self, spec, weight, bias):
        super().__init__()
        self.weight = nn.Parameter(weight)
        self.bias = nn.Parameter(bias)
        self.stride = tuple(spec.get("stride", [1, 1]))
        self.dilation = tuple(spec.get("dilation", [1, 1]))
        self.groups = spec.get("groups", 1)
        self.pads = tuple(spec.get("pads", [0, 0, 0, 0]))
        self.act = activation_module(spec.get("activation"))

    def forward(self, x):
        sym = _pad_arg(self.pads)
        if sym is None:
            t, l, b, r = self.pads
            x, sym = F.pad(x, (l, r, t, b)), (0, 0)
        y = F.conv2d(x, self.weight, self.bias, self.stride, sym, self.dilation, self.groups)
        return self.act(y)


class GemmNode(nn.Module):
    def __init__(self, spec, weight, bias):
        super().__init__()
        self.weight = nn.Parameter(weight)
        self.bias = nn.Parameter(bias)
        self.act = activation_module(spec.get("activation"))

    def forward(self, x):
        return self.act(F.linear(x, self.weight, self.bias))


class AddNode(nn.Module):
    def __init__(self, spec):
        super().__init__()
        self.act = activation_module(spec.get("activation"))

    def forward(self, a, b):
        return self.act(a + b)


class MulNode(nn.Module):
    def forward(self, a, b):
        return a * b


class ConcatNode(nn.Module):
    def forward(self, *xs):
        return torch.cat(xs, dim=1)


class MaxPoolNode(nn.Module):
    def __init__(self, spec):
        super().__init__()
        self.kernel = tuple(spec["kernel"])
        self.pads = tuple(spec.get("pads", [0, 0, 0, 0]))
        sym = _pad_arg(self.pads, self.kernel)
        self.explicit = sym is None
        # Explicit padding uses the lowest float instead of -inf: padding never wins either way
        # (every window holds an input element), and DeepLIFT's input deltas stay finite.
        self.pool = nn.MaxPool2d(self.kernel, tuple(spec.get("stride", [1, 1])),
                                 (0, 0) if self.explicit else sym)

    def forward(self, x):
        if self.explicit:
            t, l, b, r = self.pads
            x = F.pad(x, (l, r, t, b), value=torch.finfo(x.dtype).min)
        return self.pool(x)


class AvgPoolNode(nn.Module):
    def __init__(self, spec):
        super().__init__()
        self.kernel = tuple(spec["kernel"])
        self.stride = tuple(spec.get("stride", [1, 1]))
        self.pads = tuple(spec.get("pads", [0, 0, 0, 0]))
        self.include = bool(spec.get("count_include_pad", False))

    def forward(self, x):
        sym = _pad_arg(self.pads, self.kernel)
        if sym is not None:
            return F.avg_pool2d(x, self.kernel, self.stride, sym, count_include_pad=self.include)
        t, l, b, r = self.pads
        s = F.avg_pool2d(F.pad(x, (l, r, t, b)), self.kernel, self.stride)
        if self.include:
            return s
        ones = F.pad(torch.ones_like(x[:1, :1]), (l, r, t, b))
        count = F.avg_pool2d(ones, self.kernel, self.stride)
        return s / count


class GlobalAvgPoolNode(nn.Module):
    def forward(self, x):
        return x.mean(dim=(2, 3), keepdim=True)


class FlattenNode(nn.Module):
    def forward(self, x):
        return x.flatten(1)


class ReshapeNode(nn.Module):
    def __init__(self, spec):
        super().__init__()
        self.shape = tuple(spec["shape"])

    def forward(self, x):
        return x.reshape(x.shape[0], *self.shape)


class SoftmaxNode(nn.Module):
    def __init__(self):
        super().__init__()
        self.softmax = nn.Softmax(dim=1)

    def forward(self, x):
        return self.softmax(x)


def _as_tensor(a):
    if isinstance(a, torch.Tensor):
        return a.detach().to(torch.float32).clone()
    return torch.from_numpy(np.ascontiguousarray(np.asarray(a, dtype=np.float32)).copy())


def make_node_module(spec, weights):
    op, name = spec["op"], spec["name"]
    if op == "conv":
        return ConvNode(spec, _as_tensor(weights[f"{name}.weight"]), _as_tensor(weights[f"{name}.bias"]))
    if op == "gemm":
        return GemmNode(spec, _as_tensor(weights[f"{name}.weight"]), _as_tensor(weights[f"{name}.bias"]))
    if op in ACTIVATIONS:
        return activation_module(op)
    simple = {"mul": MulNode, "concat": ConcatNode, "global_avgpool": GlobalAvgPoolNode,
              "flatten": FlattenNode, "softmax": SoftmaxNode}
    if op in simple:
        return simple[op]()
    with_spec = {"add": AddNode, "maxpool": MaxPoolNode, "avgpool": AvgPoolNode, "reshape": ReshapeNode}
    if op in with_spec:
        return with_spec[op](spec)
    raise ValueError(f"{name}: unknown op {op}")


# ---------------------------------------------------------------------------------------------
# The interpreter

class GraphModule(nn.Module):
    """A graph of the Zenith format as a PyTorch module.

    - `forward(x)`: dense trunk logits (for Captum and training).
    - `run(x, plan)`: a plan's full result (see `run`).
    - `branch_forward(x)`: every branch's logits over the dense trunk (head training).
    - `node_module(name)`: the module whose output is that node's output (after activation).
    Parameters start as copies of `weights`; `export_weights()` returns them as numpy.
    `importance.<conv>` entries of `weights` are the filter tables."""

    def __init__(self, graph, weights, input_dims=None):
        super().__init__()
        if "layers" in graph:
            graph = chain_graph(graph)
        self.graph = graph
        self.input_dims = tuple(input_dims) if input_dims is not None else None
        self.tables = {k[len("importance."):]: _as_tensor(v) for k, v in weights.items()
                       if k.startswith("importance.")}
        self.trunk = nn.ModuleList(make_node_module(n, weights) for n in graph["nodes"])
        self.branches = nn.ModuleList(
            nn.ModuleList(make_node_module(n, weights) for n in b["nodes"])
            for b in graph.get("branches", []))
        self._specs = {}
        for spec, mod in zip(graph["nodes"], self.trunk):
            self._specs[spec["name"]] = (spec, mod)
        for b, mods in zip(graph.get("branches", []), self.branches):
            for spec, mod in zip(b["nodes"], mods):
                self._specs[spec["name"]] = (spec, mod)
        self._at = {}
        for i, b in enumerate(graph.get("branches", [])):
            self._at.setdefault(b["at"], []).append(i)
        self._shapes = infer_shapes(graph, weights, input_dims) if input_dims is not None else None

    # -- plain evaluation ----------------------------------------------------------------------

    def node_module(self, name):
        return self._specs[name][1]

    def _eval(self, specs, mods, env):
        for spec, mod in zip(specs, mods):
            env[spec["output"]] = mod(*[env[t] for t in spec["inputs"]])
        return env

    def forward(self, x):
        env = self._eval(self.graph["nodes"], self.trunk, {self.graph["input"]: x})
        return env[self.graph["output"]]

    def branch_forward(self, x, names=None):
        """{branch name: logits [N, classes]} over the dense trunk, which is evaluated only up to
        the last branch point needed."""
        branches = self.graph.get("branches", [])
        wanted = [i for i, b in enumerate(branches) if names is None or b["name"] in names]
        need = {branches[i]["at"] for i in wanted}
        env = {self.graph["input"]: x}
        for spec, mod in zip(self.graph["nodes"], self.trunk):
            if not need - env.keys():
                break
            env[spec["output"]] = mod(*[env[t] for t in spec["inputs"]])
        out = {}
        for i in wanted:
            b = branches[i]
            benv = self._eval(b["nodes"], self.branches[i], dict(env))
            out[b["name"]] = benv[b["output"]]
        return out

    def trunk_parameters(self):
        return self.trunk.parameters()

    def branch_parameters(self, name):
        i = [b["name"] for b in self.graph["branches"]].index(name)
        return self.branches[i].parameters()

    def freeze_trunk(self):
        for p in self.trunk_parameters():
            p.requires_grad_(False)

    def export_weights(self):
        """{"<node>.weight"/"<node>.bias": float32 numpy} from the current parameters."""
        out = {}
        for name, (spec, mod) in self._specs.items():
            if spec["op"] in ("conv", "gemm"):
                out[f"{name}.weight"] = mod.weight.detach().float().numpy().copy()
                out[f"{name}.bias"] = mod.bias.detach().float().numpy().copy()
        return out

    # -- plans ---------------------------------------------------------------------------------

    def run(self, x, plan=None):
        """Run a plan over a batch x [N, *input_dims].

        Returns a dict: `logits` [N, classes]; `exited` int64 [N] (index+1 into graph
        branches of the branch the sample left at, 0 = none) or None if the plan has no exits;
        `filters` {conv: bool [N, out]} (all False for a sample that left before the conv);
        `macs` float64 [N]; `branch_logits` {branch name: [N, classes]} for branches run;
        `macs_at_branch` {branch name: float64 [N]} multiply-adds up to and including that
        branch, for samples that reached it."""
        p = resolve_plan(self.graph, plan)
        n = x.shape[0]
        env = {self.graph["input"]: x}
        act = {self.graph["input"]: torch.ones(n, x.shape[1], dtype=torch.bool)}
        alive = torch.ones(n, dtype=torch.bool)
        exited = torch.zeros(n, dtype=torch.int64)
        early = None
        macs = torch.zeros(n, dtype=torch.float64)
        selected, masks, branch_logits, macs_at = {}, {}, {}, {}
        branches = self.graph.get("branches", [])
        for spec, mod in zip(self.graph["nodes"], self.trunk):
            mask = None
            if spec["name"] in p.filters:
                mask = selected[spec["name"]] & alive[:, None]
                masks[spec["name"]] = mask
            m = self._step(spec, mod, env, act, p.width, mask)
            macs += m * alive
            for bi in self._at.get(spec["output"], []):
                if bi not in p.run_branches:
                    continue
                b = branches[bi]
                benv, bact = dict(env), dict(act)
                bm = torch.zeros(n, dtype=torch.float64)
                for bspec, bmod in zip(b["nodes"], self.branches[bi]):
                    bm += self._step(bspec, bmod, benv, bact, {}, None)
                macs += bm * alive
                macs_at[b["name"]] = macs.clone()
                bl = benv[b["output"]]
                branch_logits[b["name"]] = bl
                if bi in p.exits:
                    conf = torch.softmax(bl, dim=1).max(dim=1).values
                    leave = alive & (conf >= p.exits[bi])
                    early = bl.clone() if early is None else torch.where(leave[:, None], bl, early)
                    exited[leave] = bi + 1
                    alive = alive & ~leave
                if bi == p.filter_branch:
                    for conv, c in p.filters.items():
                        selected[conv] = select_filters(bl, self.tables[conv], p.filter_classes,
                                                        c["per_class"], c["cap"])
        logits = env[self.graph["output"]]
        if early is not None:
            logits = torch.where((exited > 0)[:, None], early, logits)
        return {"logits": logits, "exited": exited if p.exits else None, "filters": masks,
                "macs": macs, "branch_logits": branch_logits, "macs_at_branch": macs_at}

    def _step(self, spec, mod, env, act, width, mask):
        """Evaluate one node into env/act; returns its multiply-adds per sample."""
        op = spec["op"]
        ins = [env[t] for t in spec["inputs"]]
        ain = [act[t] for t in spec["inputs"]]
        y = mod(*ins)
        n = y.shape[0]
        macs = torch.zeros(n, dtype=torch.float64)
        if op == "conv":
            a = mask if mask is not None else torch.ones(n, y.shape[1], dtype=torch.bool)
            if mask is not None:
                y = y * mask[:, :, None, None].to(y.dtype)
            elif mod.groups > 1 and mod.groups == y.shape[1] == ins[0].shape[1]:
                # A depthwise conv keeps a channel that was not computed at zero (its bias and
                # activation do not revive it): the channel's whole path is skipped (FORMAT.md).
                a = ain[0]
                y = y * a[:, :, None, None].to(y.dtype)
            g = mod.groups
            per = ain[0].reshape(n, g, -1).sum(2).double() * a.reshape(n, g, -1).sum(2).double()
            kh, kw = mod.weight.shape[2:]
            macs = (y.shape[2] * y.shape[3] * kh * kw) * per.sum(1)
        elif op == "gemm":
            out = y.shape[1]
            c = width.get(spec["name"], {})
            keep = min(c.get("keep", out), out)
            a = torch.zeros(n, out, dtype=torch.bool)
            a[:, :keep] = True
            macs = ain[0].sum(1).double() * keep
            if "topk" in c and c["topk"] < keep:
                a = topk_select(y, c["topk"], a)
            if keep < out or "topk" in c:
                y = y * a.to(y.dtype)
        elif op in ACTIVATIONS:
            # A channel that was not computed stays zero through any activation (FORMAT.md).
            a = ain[0]
            if op not in _ZERO_PRESERVING_ACTS and y.dim() == 4:
                y = y * a[:, :, None, None].to(y.dtype)
            elif op not in _ZERO_PRESERVING_ACTS:
                y = y * a.to(y.dtype)
        elif op == "add":
            a = ain[0] | ain[1]
            if spec.get("activation") not in (None,) + _ZERO_PRESERVING_ACTS:
                a = torch.ones_like(a)
        elif op == "mul":
            a = ain[0] & ain[1]
        elif op == "concat":
            a = torch.cat(ain, dim=1)
        elif op in ("maxpool", "avgpool", "global_avgpool"):
            a = ain[0]
        elif op in ("flatten", "reshape"):
            x = ins[0]
            elems = ain[0].repeat_interleave(x[0].numel() // x.shape[1], dim=1)
            a = elems.reshape(n, y.shape[1], -1).any(2)
        else:  # softmax
            a = torch.ones(n, y.shape[1], dtype=torch.bool)
        env[spec["output"]] = y
        act[spec["output"]] = a
        return macs

    def static_macs(self, plan=None):
        """Worst-case multiply-adds of a plan for a sample that leaves at no branch (every
        branch the plan runs counted, filter counts at min(out, cap, classes*per_class), topk
        outputs at topk). If an exit threshold <= 0 every sample leaves there, and the count
        stops at that branch."""
        if self._shapes is None:
            raise ValueError("static_macs needs input_dims")
        p = resolve_plan(self.graph, plan)
        shapes = self._shapes
        branches = self.graph.get("branches", [])
        cnt = {self.graph["input"]: shapes[self.graph["input"]][0]}
        total = 0.0
        for spec, mod in zip(self.graph["nodes"], self.trunk):
            total += self._static_step(spec, mod, shapes, cnt, p)
            for bi in self._at.get(spec["output"], []):
                if bi not in p.run_branches:
                    continue
                bcnt = dict(cnt)
                for bspec, bmod in zip(branches[bi]["nodes"], self.branches[bi]):
                    total += self._static_step(bspec, bmod, shapes, bcnt, Plan(name=""))
                if p.exits.get(bi, 1.0) <= 0.0:
                    return total
        return total

    def _static_step(self, spec, mod, shapes, cnt, p):
        op = spec["op"]
        out_shape = shapes[spec["output"]]
        cin = [cnt[t] for t in spec["inputs"]]
        macs = 0.0
        if op == "conv":
            o = out_shape[0]
            if spec["name"] in p.filters:
                c = p.filters[spec["name"]]
                o = min(o, c["cap"], p.filter_classes * c["per_class"])
            kh, kw = mod.weight.shape[2:]
            macs = out_shape[1] * out_shape[2] * kh * kw * cin[0] * o / mod.groups
            a = o
        elif op == "gemm":
            out = out_shape[0]
            c = p.width.get(spec["name"], {})
            keep = min(c.get("keep", out), out)
            macs = float(cin[0] * keep)
            a = min(keep, c.get("topk", keep))
        elif op in ACTIVATIONS:
            a = cin[0] if op in _ZERO_PRESERVING_ACTS else out_shape[0]
        elif op == "add":
            a = min(out_shape[0], cin[0] + cin[1])
            if spec.get("activation") not in (None,) + _ZERO_PRESERVING_ACTS:
                a = out_shape[0]
        elif op == "mul":
            a = min(cin)
        elif op == "concat":
            a = sum(cin)
        elif op in ("maxpool", "avgpool", "global_avgpool"):
            a = cin[0]
        elif op in ("flatten", "reshape"):
            ins = shapes[spec["inputs"][0]]
            per_in = int(np.prod(ins)) // ins[0]
            per_out = int(np.prod(out_shape)) // out_shape[0]
            a = min(out_shape[0], math.ceil(cin[0] * per_in / per_out))
        else:
            a = out_shape[0]
        cnt[spec["output"]] = a
        return macs


class BranchView(nn.Module):
    """`forward(x)` = one branch's logits over the dense trunk (for Captum on branch nodes)."""

    def __init__(self, module, name):
        super().__init__()
        self.module = module
        self.name = name

    def forward(self, x):
        return self.module.branch_forward(x, [self.name])[self.name]
