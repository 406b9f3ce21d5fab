"""Early-exit branch points and heads.

A branch point is a trunk tensor that is a "cut": every later trunk node reads only tensors
produced at or after it, so it is the only live trunk tensor there (a residual block's output
in a ResNet, a block output in MobileNetV2). Among spatial [C,H,W] cuts, the first branch goes
at the one whose cumulative dense multiply-adds are nearest 27.5% of the dense total (the
middle of 20-35%); further branches target evenly spaced points up to 65%.

Head `exitK`: global_avgpool -> flatten -> gemm(C->128, relu) -> gemm(128->classes), or, if
H*W <= 64, flatten -> gemm(C*H*W->128, relu) -> gemm(128->classes). It is trained with the
trunk frozen: the cut tensor (pooled when the head pools first, which is exact because the
trunk is frozen) is computed once for the training split, then the two gemms are trained with
AdamW on those features.
"""
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from .graph_ref import GraphModule, infer_shapes
from .progress import Every, say

HIDDEN = 128
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


def choose_branch_points(graph, weights, input_dims, count):
    cuts = cut_points(graph, weights, input_dims)
    if count <= 0 or not cuts:
        return []
    targets = [0.275] if count == 1 else list(np.linspace(0.275, 0.65, count))
    chosen = []
    for t in targets:
        free = [c for c in cuts if c not in chosen]
        if not free:
            break
        chosen.append(min(free, key=lambda c: (abs(c[2] - t), c[0])))
    return sorted(chosen)


def head_nodes(k, at, shape):
    """Node specs of head `exit<k>` reading tensor `at` of per-sample shape [C,H,W]."""
    p = f"exit{k}_"
    nodes = []
    src = at
    if shape[1] * shape[2] > 64:
        nodes.append({"name": p + "pool", "op": "global_avgpool", "inputs": [src], "output": p + "pool"})
        src = p + "pool"
    nodes.append({"name": p + "flatten", "op": "flatten", "inputs": [src], "output": p + "flatten"})
    nodes.append({"name": p + "fc1", "op": "gemm", "inputs": [p + "flatten"], "output": p + "fc1",
                  "activation": "relu"})
    nodes.append({"name": p + "fc2", "op": "gemm", "inputs": [p + "fc1"], "output": p + "logits"})
    return nodes


@torch.no_grad()
def trunk_features(module, x, tensors, pooled, bs=256, step="branches"):
    """{tensor: float32 [n, features]} of trunk tensors for inputs x (dense trunk; pooled[t]:
    global-average-pool first)."""
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
            feats[t].append((v.mean(dim=(2, 3)) if pooled[t] else v.flatten(1)).numpy())
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


def add_branches(imported, data, count, seed):
    """Choose branch points, train the heads. Returns (graph with branches, weights, report)."""
    graph, weights, dims = imported.graph, dict(imported.weights), imported.input_dims
    classes = imported.output_dims[0]
    points = choose_branch_points(graph, weights, dims, count)
    if not points:
        say("branches: no spatial cut tensor; no early exits")
        return dict(graph, branches=[]), weights, []
    shapes = infer_shapes(graph, weights, dims)
    module = GraphModule(graph, weights, dims).eval()
    specs = []
    for k, (i, t, frac) in enumerate(points, start=1):
        specs.append((k, t, frac, head_nodes(k, t, shapes[t])))
    pooled = {t: nodes[0]["op"] == "global_avgpool" for _, t, _, nodes in specs}
    per = max(int(np.prod(shapes[t][:1] if pooled[t] else shapes[t])) for _, t, _, _ in specs)
    limit = max(1000, FEATURE_BYTES // (4 * per * len(specs)))
    xt, yt = data.x["train"][:limit], data.y["train"][:limit]
    tensors = [t for _, t, _, _ in specs]
    ft = trunk_features(module, xt, tensors, pooled)
    fv = trunk_features(module, data.x["validation"], tensors, pooled, step="branches (validation)")
    branches, report = [], []
    for k, t, frac, nodes in specs:
        say(f"branches: exit{k} at {t} {list(shapes[t])} ({frac:.1%} of dense macs), "
            f"{ft[t].shape[1]} features, {len(yt)} training samples")
        w1, b1, w2, b2, acc = train_head(ft[t], yt, fv[t], data.y["validation"], classes, seed + k)
        weights[f"exit{k}_fc1.weight"], weights[f"exit{k}_fc1.bias"] = w1, b1
        weights[f"exit{k}_fc2.weight"], weights[f"exit{k}_fc2.bias"] = w2, b2
        branches.append({"name": f"exit{k}", "at": t, "nodes": nodes, "output": nodes[-1]["output"]})
        report.append({"name": f"exit{k}", "at": t, "macs_fraction": frac, "val_accuracy": acc})
    return dict(graph, branches=branches), weights, report
