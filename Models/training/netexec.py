"""Reference implementation (PyTorch, float32) of Models/FORMAT.md semantics.

Interprets config.json's "network" and one plan over a weight dict (the exact tensors written
to model.safetensors). Used for golden outputs, for plan tuning and for results.json. Also
counts multiply-adds per sample (conv: Hout*Wout*k*k*in_active*out_active; linear:
in_active*out_active; pooling/ReLU/softmax/selection are not counted)."""
import math

import torch
import torch.nn.functional as F


def select_filters(branch_logits, table, classes, per_class, cap):
    """FORMAT.md filter selection. branch_logits [N,K] f32, table [K,F] f32 -> bool [N,F]."""
    n = branch_logits.shape[0]
    k, f = table.shape
    # C: the `classes` largest branch logits, descending, ties to the lower class index
    order = torch.sort(branch_logits, dim=1, descending=True, stable=True).indices[:, :classes]
    # 1. union of each class's `per_class` largest entries (ties to the lower filter index)
    rows = torch.sort(table, dim=1, descending=True, stable=True).indices[:, :per_class]
    top = torch.zeros(k, f, dtype=torch.bool).scatter_(1, rows, True)
    union = top[order].any(dim=1)
    # 2. score = sum over C in descending-logit order, float64
    t64 = table.double()
    score = torch.zeros(n, f, dtype=torch.float64)
    for j in range(classes):
        score = score + t64[order[:, j]]
    # 3. cap: the `cap` members of U with the highest score (ties to the lower index)
    score = score.masked_fill(~union, float("-inf"))
    idx = torch.sort(score, dim=1, descending=True, stable=True).indices[:, :cap]
    sel = torch.zeros(n, f, dtype=torch.bool).scatter_(1, idx, True)
    return sel & union


def topk_select(h, k, valid=None):
    """bool mask of the k largest entries of each row of h (ties to lower index); only
    entries in `valid` (bool, same shape) are eligible."""
    hs = h if valid is None else h.masked_fill(~valid, float("-inf"))
    idx = torch.sort(hs, dim=1, descending=True, stable=True).indices[:, :k]
    sel = torch.zeros(h.shape, dtype=torch.bool).scatter_(1, idx, True)
    return sel if valid is None else sel & valid


class _State:
    """Activation h [N,C,H,W] or [N,D] with a per-sample bool mask of computed channels/units."""

    def __init__(self, h):
        self.h = h
        self.act = torch.ones(h.shape[0], h.shape[1], dtype=torch.bool)


def _apply_op(op, st, weights, width, filt_masks, macs):
    """One op of config.json. filt_masks: {layer: bool [N,F]} selected filters (or None)."""
    kind = op["op"]
    h = st.h
    if kind == "conv2d":
        w, b = weights[op["name"] + ".weight"], weights[op["name"] + ".bias"]
        h = F.conv2d(h, w, b, stride=op.get("stride", 1), padding=op.get("padding", 0))
        out_act = torch.ones(h.shape[0], h.shape[1], dtype=torch.bool)
        if filt_masks is not None and op["name"] in filt_masks:
            out_act = filt_masks[op["name"]]
        k = w.shape[2] * w.shape[3]
        macs += (h.shape[2] * h.shape[3] * k) * st.act.sum(1).double() * out_act.sum(1).double()
        if op.get("relu", False):
            h = F.relu(h)
        h = h * out_act[:, :, None, None].to(h.dtype)
        st.h, st.act = h, out_act
    elif kind == "maxpool2d":
        st.h = F.max_pool2d(h, op["kernel"], op["stride"])
    elif kind == "global_avgpool":
        st.h = h.mean(dim=(2, 3))
    elif kind == "flatten":
        if h.dim() == 4:
            st.act = st.act.repeat_interleave(h.shape[2] * h.shape[3], dim=1)
            st.h = h.flatten(1)
    elif kind == "linear":
        if h.dim() == 4:
            _apply_op({"op": "flatten"}, st, weights, width, filt_masks, macs)
            h = st.h
        w, b = weights[op["name"] + ".weight"], weights[op["name"] + ".bias"]
        wcfg = width.get(op.get("name"), {})
        n_out = w.shape[0]
        keep = min(wcfg.get("keep", n_out), n_out)
        x_in = h * st.act.to(h.dtype)
        y = F.linear(x_in, w, b)
        out_act = torch.zeros(h.shape[0], n_out, dtype=torch.bool)
        out_act[:, :keep] = True
        macs += st.act.sum(1).double() * keep
        if op.get("relu", False):
            y = F.relu(y)
        if "topk" in wcfg and wcfg["topk"] < keep:
            out_act = topk_select(y, wcfg["topk"], out_act)
        y = y * out_act.to(y.dtype)
        st.h, st.act = y, out_act
    else:
        raise ValueError(f"unknown op {kind}")


@torch.no_grad()
def run_plan(weights, network, plan, x, num_classes=10):
    """x [N, *input_dims] f32. Returns dict: logits [N,10], exited bool [N] (or None),
    filters {layer: bool [N,F]} (or {}), macs f64 [N], branch_logits (or None)."""
    n = x.shape[0]
    width = plan.get("width", {})
    exit_cfg = plan.get("exit")
    filt_cfg = plan.get("filters")
    branch = network.get("branch")
    run_branch = branch is not None and (exit_cfg is not None or filt_cfg is not None)
    st = _State(x)
    macs = torch.zeros(n, dtype=torch.float64)
    exited = torch.zeros(n, dtype=torch.bool)
    filt_masks = None
    branch_logits = None
    macs_at_branch = None
    for op in network["layers"]:
        _apply_op(op, st, weights, width, filt_masks, macs)
        if run_branch and op.get("name") == branch["after"]:
            bst = _State(st.h)
            bst.act = st.act.clone()
            for bop in branch["layers"]:
                _apply_op(bop, bst, weights, {}, None, macs)
            branch_logits = bst.h
            macs_at_branch = macs.clone()
            if exit_cfg is not None:
                p = torch.softmax(branch_logits, dim=1).max(dim=1).values
                exited = p >= exit_cfg["threshold"]
            filt_masks = {}
            if filt_cfg is not None:
                for layer, c in filt_cfg["layers"].items():
                    t = weights["importance." + layer]
                    sel = select_filters(branch_logits, t, filt_cfg["classes"], c["per_class"], c["cap"])
                    filt_masks[layer] = sel & ~exited[:, None]
    logits = st.h
    if run_branch:
        logits = torch.where(exited[:, None], branch_logits, logits)
        macs = torch.where(exited, macs_at_branch, macs)
    return {
        "logits": logits,
        "exited": exited if (run_branch and exit_cfg is not None) else None,
        "filters": filt_masks or {},
        "macs": macs,
        "branch_logits": branch_logits,
        "macs_at_branch": macs_at_branch,
    }


def static_macs(weights, network, plan, input_dims, worst=True):
    """Worst-case (non-exiting sample) multiply-adds of a plan, from shapes and plan limits."""
    shape = list(input_dims)
    act = shape[0]
    width = plan.get("width", {})
    filt = (plan.get("filters") or {}).get("layers", {})
    classes = (plan.get("filters") or {}).get("classes", 0)
    branch = network.get("branch")
    run_branch = branch is not None and ("exit" in plan or "filters" in plan)
    total = 0.0

    def walk(ops, shape, act, width, filt, total):
        topk_act = None
        for op in ops:
            k = op["op"]
            if k == "conv2d":
                w = weights[op["name"] + ".weight"]
                o, _, kh, kw = w.shape
                p, s = op.get("padding", 0), op.get("stride", 1)
                hh = (shape[1] + 2 * p - kh) // s + 1
                ww = (shape[2] + 2 * p - kw) // s + 1
                out = o
                if op["name"] in filt:
                    c = filt[op["name"]]
                    out = min(o, c["cap"], classes * c["per_class"])
                total += hh * ww * kh * kw * act * out
                shape, act = [o, hh, ww], out
            elif k == "maxpool2d":
                shape = [shape[0], (shape[1] - op["kernel"]) // op["stride"] + 1,
                         (shape[2] - op["kernel"]) // op["stride"] + 1]
            elif k == "global_avgpool":
                shape = [shape[0]]
            elif k == "flatten" or (k == "linear" and len(shape) == 3):
                act = act * shape[1] * shape[2]
                shape = [shape[0] * shape[1] * shape[2]]
            if k == "linear":
                o = weights[op["name"] + ".weight"].shape[0]
                wc = width.get(op["name"], {})
                keep = min(wc.get("keep", o), o)
                total += act * keep
                act = min(keep, wc.get("topk", keep))
                shape = [o]
            yield op, shape, act, total

    ops = network["layers"]
    for op, shape_, act_, total_ in walk(ops, shape, act, width, filt, total):
        shape, act, total = shape_, act_, total_
        if run_branch and op.get("name") == branch["after"]:
            for _, _, _, t2 in walk(branch["layers"], list(shape), act, {}, {}, 0.0):
                bt = t2
            total_branch = bt
            if plan.get("exit", {}).get("threshold", 1.0) <= 0.0:
                return total + total_branch  # every sample exits: the trunk stops at the branch
    if run_branch:
        total += total_branch
    return total


def accuracy(logits, labels):
    return float((logits.argmax(1) == labels).double().mean())
