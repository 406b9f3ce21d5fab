"""Early-exit branch points and heads.

A branch point is a trunk tensor that is a "cut": every later trunk node reads only tensors
produced at or after it, so it is the only live trunk tensor there (a residual block's output
in a ResNet, a block output in MobileNetV2). Among spatial [C,H,W] cuts, the first branch goes
at the one whose cumulative dense multiply-adds are nearest 27.5% of the dense total (the
middle of 20-35%); further branches target evenly spaced points up to 65%. `--branch-at`
overrides the targets: each is a cut tensor's name or a fraction of the dense multiply-adds.

Head `exitK`: [pool ->] flatten -> gemm(->128, relu) -> gemm(128->classes). The cut tensor is
flattened as it is if it has at most 4096 values; otherwise max-pooled with kernel = stride = s,
the smallest s that brings it to 4096 or fewer (padding the last row and column when s does
not divide H or W), if that leaves at least a 2x2 grid; otherwise globally average-pooled.
Heads are trained with the trunk frozen: the cut tensor (pooled as the head pools, which is
exact because the trunk is frozen) is computed once for the training split, then the two gemms
are trained with AdamW on those features; `--finetune` may train them further with the trunk.
"""
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from .errors import OptionError
from .graph_ref import GraphModule, infer_shapes, make_node_module, node_output_shape
from .progress import Every, say

HIDDEN = 128
HEAD_FEATURES = 4096   # most values a head's first gemm reads
FEATURE_BYTES = 2_000_000_000   # cap on the precomputed feature matrix


def node_macs(graph, weights, input_dims):
    """[multiply-adds of each trunk node, dense]."""
    shapes = infer_shapes(graph, weights, input_dims)
    out = []
    for n in graph["nodes"]:
        if n["op"] == "conv":
            w = weights[f"{n['name']}.weight"].shape
            o = shapes[n["output"]]
            out.append(o[1] * o[2] * w[2] * w[3] * w[1] * w[0])
        elif n["op"] == "gemm":
            out.append(int(np.prod(weights[f"{n['name']}.weight"].shape)))
        else:
            out.append(0)
    return out


def cut_points(graph, weights, input_dims):
    """[(node index, tensor, cumulative macs fraction)] of spatial cut tensors."""
    nodes = graph["nodes"]
    shapes = infer_shapes(graph, weights, input_dims)
    prod = {graph["input"]: -1}
    for i, n in enumerate(nodes):
        prod[n["output"]] = i
    # earliest[i] = the earliest producer index read by any node after i
    earliest = [len(nodes)] * (len(nodes) + 1)
    for i in range(len(nodes) - 1, -1, -1):
        earliest[i] = min(earliest[i + 1], min(prod[t] for t in nodes[i]["inputs"]))
    macs = np.cumsum(node_macs(graph, weights, input_dims))
    total = float(macs[-1])
    cuts = []
    for i, n in enumerate(nodes[:-1]):
        t = n["output"]
        if len(shapes[t]) == 3 and earliest[i + 1] >= i and t != graph["output"]:
            cuts.append((i, t, float(macs[i]) / total))
    return cuts


def choose_branch_points(graph, weights, input_dims, count, at=None):
    """Cut points for `count` branches, or for the targets in `at` (tensor names or fractions
    of the dense multiply-adds); raises OptionError for a name that is not a cut tensor."""
    cuts = cut_points(graph, weights, input_dims)
    targets = list(at) if at else ([0.275] if count == 1 else list(np.linspace(0.275, 0.65, max(count, 0))))
    if (not at and count <= 0) or not cuts:
        return []
    chosen = []
    for t in targets:
        free = [c for c in cuts if c not in chosen]
        if isinstance(t, str):
            match = [c for c in free if c[1] == t]
            if not match:
                raise OptionError(f"--branch-at {t}: not a spatial cut tensor (or used twice); cut tensors "
                                  "and their share of the dense multiply-adds: "
                                  + ", ".join(f"{c[1]} {c[2]:.1%}" for c in cuts))
            chosen.append(match[0])
        elif free:
            chosen.append(min(free, key=lambda c: (abs(c[2] - t), c[0])))
    return sorted(chosen)


def head_pool(shape):
    """The pool a head applies to a [C,H,W] cut tensor: None (flatten as is), ("max", s) or
    ("global", None); see the module docstring."""
    c, h, w = shape
    if c * h * w <= HEAD_FEATURES:
        return None
    for s in range(2, max(h, w) + 1):
        gh, gw = -(-h // s), -(-w // s)
        if c * gh * gw <= HEAD_FEATURES:
            return ("max", s) if gh >= 2 and gw >= 2 else ("global", None)
    return ("global", None)


def head_nodes(k, at, shape):
    """Node specs of head `exit<k>` reading tensor `at` of per-sample shape [C,H,W]."""
    p = f"exit{k}_"
    nodes = []
    src = at
    pool = head_pool(shape)
    if pool is not None and pool[0] == "global":
        nodes.append({"name": p + "pool", "op": "global_avgpool", "inputs": [src], "output": p + "pool"})
        src = p + "pool"
    elif pool is not None:
        s = pool[1]
        pads = [0, 0, (-shape[1]) % s, (-shape[2]) % s]   # top, left, bottom, right
        nodes.append({"name": p + "pool", "op": "maxpool", "kernel": [s, s], "stride": [s, s], "pads": pads,
                      "inputs": [src], "output": p + "pool"})
        src = p + "pool"
    nodes.append({"name": p + "flatten", "op": "flatten", "inputs": [src], "output": p + "flatten"})
    nodes.append({"name": p + "fc1", "op": "gemm", "inputs": [p + "flatten"], "output": p + "fc1",
                  "activation": "relu"})
    nodes.append({"name": p + "fc2", "op": "gemm", "inputs": [p + "fc1"], "output": p + "logits"})
    return nodes


@torch.no_grad()
def trunk_features(module, x, tensors, pools, bs=256, step="branches"):
    """{tensor: float32 [n, features]} of trunk tensors for inputs x (dense trunk), each passed
    through pools[t] (a pool node module, or None) and flattened."""
    graph = module.graph
    feats = {t: [] for t in tensors}
    tick = Every(f"{step}: trunk features")
    for i in range(0, x.shape[0], bs):
        env = {graph["input"]: torch.from_numpy(x[i:i + bs])}
        for spec, mod in zip(graph["nodes"], module.trunk):
            if all(t in env for t in tensors):
                break
            env[spec["output"]] = mod(*[env[t] for t in spec["inputs"]])
        for t in tensors:
            v = env[t]
            feats[t].append((v if pools[t] is None else pools[t](v)).flatten(1).numpy())
        tick(min(i + bs, x.shape[0]), x.shape[0])
    return {t: np.concatenate(v) for t, v in feats.items()}


def train_head(feat, y, feat_val, y_val, classes, seed, seconds=60.0, max_epochs=12):
    """Two-layer head on precomputed features; returns (fc1 w, b, fc2 w, b, val accuracy)."""
    g = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    net = nn.Sequential(nn.Linear(feat.shape[1], HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, classes))
    opt = torch.optim.AdamW(net.parameters(), lr=2e-3, weight_decay=1e-4)
    xf, yf = torch.from_numpy(feat), torch.from_numpy(y)
    xv, yv = torch.from_numpy(feat_val), torch.from_numpy(y_val)
    n, bs = xf.shape[0], 512
    steps = max_epochs * ((n + bs - 1) // bs)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=2e-3, total_steps=steps)
    t0 = time.time()
    for ep in range(max_epochs):
        net.train()
        perm = torch.randperm(n, generator=g)
        for i in range(0, n, bs):
            idx = perm[i:i + bs]
            loss = F.cross_entropy(net(xf[idx]), yf[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
        net.eval()
        with torch.no_grad():
            acc = float((net(xv).argmax(1) == yv).double().mean())
        say(f"branches: epoch {ep + 1} loss {loss.item():.4f} val acc {acc:.4f}")
        # Stop before the time budget runs out (the learning-rate schedule is then cut short).
        elapsed = time.time() - t0
        if elapsed + elapsed / (ep + 1) > seconds:
            break
    w = {k: v.detach().numpy().copy() for k, v in net.state_dict().items()}
    return w["0.weight"], w["0.bias"], w["2.weight"], w["2.bias"], acc


def add_branches(imported, data, count, seed, at=None):
    """Choose branch points (`at`: see choose_branch_points), train the heads. Returns (graph
    with branches, weights, report)."""
    graph, weights, dims = imported.graph, dict(imported.weights), imported.input_dims
    classes = imported.output_dims[0]
    points = choose_branch_points(graph, weights, dims, count, at)
    if not points:
        say("branches: no spatial cut tensor; no early exits")
        return dict(graph, branches=[]), weights, []
    shapes = infer_shapes(graph, weights, dims)
    module = GraphModule(graph, weights, dims).eval()
    specs = []
    for k, (i, t, frac) in enumerate(points, start=1):
        specs.append((k, t, frac, head_nodes(k, t, shapes[t])))
    pools = {t: None if nodes[0]["op"] == "flatten" else make_node_module(nodes[0], weights)
             for _, t, _, nodes in specs}
    with_heads = dict(graph, branches=[{"name": f"exit{k}", "at": t, "nodes": nodes, "output": nodes[-1]["output"]}
                                       for k, t, _, nodes in specs])
    per = max(int(np.prod(shapes[t] if nodes[0]["op"] == "flatten" else node_output_shape(nodes[0], [shapes[t]], weights)))
              for _, t, _, nodes in specs)
    limit = max(1000, FEATURE_BYTES // (4 * per * len(specs)))
    xt, yt = data.x["train"][:limit], data.y["train"][:limit]
    tensors = [t for _, t, _, _ in specs]
    ft = trunk_features(module, xt, tensors, pools)
    fv = trunk_features(module, data.x["validation"], tensors, pools, step="branches (validation)")
    report = []
    for k, t, frac, nodes in specs:
        say(f"branches: exit{k} at {t} {list(shapes[t])} ({frac:.1%} of dense macs), "
            f"{ft[t].shape[1]} features, {len(yt)} training samples")
        w1, b1, w2, b2, acc = train_head(ft[t], yt, fv[t], data.y["validation"], classes, seed + k)
        weights[f"exit{k}_fc1.weight"], weights[f"exit{k}_fc1.bias"] = w1, b1
        weights[f"exit{k}_fc2.weight"], weights[f"exit{k}_fc2.bias"] = w2, b2
        report.append({"name": f"exit{k}", "at": t, "macs_fraction": frac, "val_accuracy": acc})
    return with_heads, weights, report
