"""Importance tables with Captum LayerDeepLift (baseline zeros, target = the sample's own
label), over up to 2000 training samples drawn stratified by class.

- gemm chains: a gemm whose output feeds exactly one gemm gets its output neurons permuted
  into descending mean |attribution| over all samples (its weight rows and bias, the
  consumer's weight columns and the table's columns move together), so a width plan's
  `keep: k` is the k most important neurons. Branch-head gemms are attributed against their
  branch's logits.
- filters: every trunk conv after the first branch point on which the contract allows
  filters (checked with graph_ref.validate_plan on a one-conv trial plan).
`importance.<node>` [classes, out]: per class, mean |attribution| per output channel (summed
over spatial positions) over that class's samples; each row normalised to sum 1.
"""
import numpy as np
import torch

from .graph_ref import BranchView, GraphModule, consumers, validate_plan
from .progress import Every, say

SAMPLES = 2000


def stratified(y, classes, limit, seed):
    """Indices of up to `limit` samples, as even across classes as the data allows."""
    rng = np.random.default_rng(seed)
    by = [rng.permutation(np.flatnonzero(y == c)) for c in range(classes)]
    out, k = [], 0
    while len(out) < min(limit, len(y)):
        for idx in by:
            if k < len(idx) and len(out) < limit:
                out.append(idx[k])
        k += 1
    return np.sort(np.array(out, dtype=np.int64))


def gemm_chains(graph):
    """[(gemm, consumer gemm, branch name or None)] for gemms feeding exactly one gemm."""
    cons = consumers(graph)
    out = []
    groups = [(None, graph["nodes"])] + [(b["name"], b["nodes"]) for b in graph.get("branches", [])]
    for bname, nodes in groups:
        for n in nodes:
            c = cons.get(n["output"], [])
            if n["op"] == "gemm" and len(c) == 1 and c[0] is not None and c[0]["op"] == "gemm":
                out.append((n["name"], c[0]["name"], bname))
    return out


def filter_convs(graph, weights):
    """Trunk convs after the first branch point that the filter rule allows."""
    if not graph.get("branches"):
        return []
    first = graph["branches"][0]["name"]
    out = []
    for n in graph["nodes"]:
        if n["op"] != "conv":
            continue
        out_ch = weights[f"{n['name']}.weight"].shape[0]
        trial = dict(weights)
        trial[f"importance.{n['name']}"] = np.zeros((1, out_ch), np.float32)
        plan = {"name": "trial", "filters": {"branch": first, "classes": 1,
                                             "layers": {n["name"]: {"per_class": 1, "cap": 1}}}}
        try:
            validate_plan(graph, trial, plan)
        except ValueError:
            continue
        out.append(n["name"])
    return out


def _attributions(model, layer, x, y, classes, what, bs=100):
    """(per-class sum of |attr| [classes, out] float64, per-sample count per class)."""
    from captum.attr import LayerDeepLift

    ldl = LayerDeepLift(model, layer)
    acc = None
    tick = Every(f"importance: {what}")
    for i in range(0, x.shape[0], bs):
        xb, yb = x[i:i + bs], y[i:i + bs]
        a = ldl.attribute(xb, baselines=torch.zeros_like(xb), target=yb).detach().abs()
        if a.dim() == 4:
            a = a.sum(dim=(2, 3))
        if acc is None:
            acc = torch.zeros(classes, a.shape[1], dtype=torch.float64)
        acc.index_add_(0, yb, a.double())
        tick(min(i + bs, x.shape[0]), x.shape[0])
    return acc


def _table(acc, counts):
    mean = acc / counts.clamp(min=1)[:, None]
    s = mean.sum(dim=1, keepdim=True)
    uniform = torch.full_like(mean, 1.0 / mean.shape[1])
    return torch.where(s > 0, mean / s.clamp(min=1e-300), uniform).float().numpy()


def compute(graph, weights, input_dims, x_train, y_train, classes, seed):
    """Returns (weights with gemm chains permuted and importance tables added, report)."""
    weights = dict(weights)
    idx = stratified(y_train, classes, SAMPLES, seed)
    x = torch.from_numpy(x_train[idx])
    y = torch.from_numpy(y_train[idx])
    counts = torch.bincount(y, minlength=classes).double()
    report = {"samples": int(len(idx)), "gemms": [], "convs": []}
    chains = gemm_chains(graph)
    module = GraphModule(graph, weights, input_dims).eval()
    for g, nxt, bname in chains:
        model = module if bname is None else BranchView(module, bname)
        acc = _attributions(model, module.node_module(g), x, y, classes, g)
        order = np.argsort(-acc.sum(0).numpy(), kind="stable")
        weights[f"{g}.weight"] = weights[f"{g}.weight"][order]
        weights[f"{g}.bias"] = weights[f"{g}.bias"][order]
        weights[f"{nxt}.weight"] = weights[f"{nxt}.weight"][:, order]
        weights[f"importance.{g}"] = _table(acc, counts)[:, order]
        report["gemms"].append(g)
    if chains:
        module = GraphModule(graph, weights, input_dims).eval()
    for conv in filter_convs(graph, weights):
        acc = _attributions(module, module.node_module(conv), x, y, classes, conv)
        weights[f"importance.{conv}"] = _table(acc, counts)
        report["convs"].append(conv)
    say(f"importance: {len(report['gemms'])} gemm chains, {len(report['convs'])} filterable convs")
    return weights, report
