"""Plan semantics of graph_ref: selection rules and their ties, width, multi-branch exits,
filters, validation, the legacy sequential format, Captum and branch-head training."""
import json
import os

import numpy as np
import pytest
import torch

from conftest import rand
from zenith_prepare.graph_ref import (BranchView, GraphModule, select_filters, topk_select,
                                      validate_plan)

MODELS = os.path.join(os.path.dirname(__file__), "..", "..")


def test_select_filters_ties():
    t = torch.tensor([[0.3, 0.3, 0.2, 0.2],    # class 0: top-2 by lower index on ties = {0, 1}
                      [0.1, 0.4, 0.4, 0.1],    # class 1: {1, 2}
                      [0.25, 0.25, 0.25, 0.25]])
    logits = torch.tensor([[5.0, 1.0, 5.0],    # tie between classes 0 and 2: class 0 first
                           [0.0, 2.0, 1.0]])   # C = {1, 2}
    sel = select_filters(logits, t, classes=1, per_class=2, cap=4)
    assert sel.tolist() == [[True, True, False, False], [False, True, True, False]]
    # classes=2: row 0 C=(0,2): U = {0,1} u {0,1}; row 1 C=(1,2): U = {1,2} u {0,1} = {0,1,2}
    # scores row 1: f0 .35, f1 .65, f2 .65 -> cap 2 keeps f1, f2 (f1/f2 tie irrelevant), cap 1
    # keeps f1 (tie with f2 to the lower index)
    assert select_filters(logits, t, 2, 2, 2).tolist() == [[True, True, False, False], [False, True, True, False]]
    assert select_filters(logits, t, 2, 2, 1).tolist() == [[True, False, False, False], [False, True, False, False]]


def test_topk_ties_and_valid():
    h = torch.tensor([[1.0, 3.0, 3.0, 2.0], [2.0, 2.0, 2.0, 1.0]])
    assert topk_select(h, 2).tolist() == [[False, True, True, False], [True, True, False, False]]
    valid = torch.tensor([[True, False, True, True], [False, True, True, True]])
    assert topk_select(h, 2, valid).tolist() == [[False, False, True, True], [False, True, True, False]]


def small_graph():
    """conv1 -> [exit A] -> conv2 -> conv3 -> [exit B] -> gap -> fc1 (relu) -> fc2."""
    def conv(name, i, o, src):
        return {"name": name, "op": "conv", "inputs": [src], "output": name, "stride": [1, 1],
                "pads": [1, 1, 1, 1], "dilation": [1, 1], "groups": 1, "activation": "relu"}

    def head(prefix, at, c):
        return [{"name": f"{prefix}.gap", "op": "global_avgpool", "inputs": [at], "output": f"{prefix}.gap"},
                {"name": f"{prefix}.flat", "op": "flatten", "inputs": [f"{prefix}.gap"], "output": f"{prefix}.flat"},
                {"name": f"{prefix}.fc", "op": "gemm", "inputs": [f"{prefix}.flat"], "output": f"{prefix}.fc"}]

    nodes = [conv("conv1", 2, 4, "input"), conv("conv2", 4, 5, "conv1"), conv("conv3", 5, 4, "conv2"),
             {"name": "gap", "op": "global_avgpool", "inputs": ["conv3"], "output": "gap"},
             {"name": "flat", "op": "flatten", "inputs": ["gap"], "output": "flat"},
             {"name": "fc1", "op": "gemm", "inputs": ["flat"], "output": "fc1", "activation": "relu"},
             {"name": "fc2", "op": "gemm", "inputs": ["fc1"], "output": "logits"}]
    graph = {"input": "input", "output": "logits", "nodes": nodes,
             "branches": [{"name": "A", "at": "conv1", "nodes": head("A", "conv1", 4), "output": "A.fc"},
                          {"name": "B", "at": "conv3", "nodes": head("B", "conv3", 4), "output": "B.fc"}]}
    shapes = {"conv1": (4, 2, 3, 3), "conv2": (5, 4, 3, 3), "conv3": (4, 5, 3, 3), "fc1": (8, 4),
              "fc2": (3, 8), "A.fc": (3, 4), "B.fc": (3, 4)}
    w = {}
    for i, (k, s) in enumerate(shapes.items()):
        w[f"{k}.weight"] = rand(*s, seed=i) * 0.5
        w[f"{k}.bias"] = rand(s[0], seed=50 + i) * 0.1
    w["importance.conv2"] = np.abs(rand(3, 5, seed=99))
    w["importance.conv2"] /= w["importance.conv2"].sum(1, keepdims=True)
    return graph, w


def test_multi_branch_exits_and_macs():
    graph, w = small_graph()
    gm = GraphModule(graph, w, [2, 5, 5])
    x = torch.from_numpy(rand(64, 2, 5, 5, seed=7))
    with torch.no_grad():
        bl = gm.branch_forward(x)
        dense = gm(x)
        pa = torch.softmax(bl["A"], 1).max(1).values
        pb = torch.softmax(bl["B"], 1).max(1).values
        ta, tb = float(pa.median()), float(pb.median())
        plan = {"name": "p", "exits": {"B": tb, "A": ta}}  # listing order does not matter
        r = gm.run(x, plan)
    at_a = pa >= ta
    at_b = ~at_a & (pb >= tb)
    want_exit = torch.where(at_a, 1, torch.where(at_b, 2, 0))
    assert torch.equal(r["exited"], want_exit) and at_a.any() and at_b.any() and (want_exit == 0).any()
    want = torch.where(at_a[:, None], bl["A"], torch.where(at_b[:, None], bl["B"], dense))
    assert torch.allclose(r["logits"], want, rtol=1e-6, atol=1e-6)
    macs = r["macs"]
    ma, mb, mn = macs[at_a].unique(), macs[at_b].unique(), macs[want_exit == 0].unique()
    assert len(ma) == len(mb) == len(mn) == 1 and ma < mb < mn
    assert float(mn) == gm.static_macs(plan)
    assert float(ma) == gm.static_macs({"name": "q", "exits": {"A": 0.0}})
    assert gm.run(x)["exited"] is None and gm.static_macs() < float(mn)


def test_filters_with_exit_masks_and_zero_channels():
    graph, w = small_graph()
    gm = GraphModule(graph, w, [2, 5, 5])
    x = torch.from_numpy(rand(32, 2, 5, 5, seed=8))
    plan = {"name": "f", "exits": {"A": 0.6},
            "filters": {"branch": "A", "classes": 2, "layers": {"conv2": {"per_class": 2, "cap": 3}}}}
    validate_plan(graph, w, plan)
    seen = {}
    hook = gm.node_module("conv3").register_forward_pre_hook(lambda m, args: seen.setdefault("in", args[0]))
    with torch.no_grad():
        r = gm.run(x, plan)
    hook.remove()
    exited = r["exited"] > 0
    assert exited.any() and (~exited).any()
    mask = r["filters"]["conv2"]
    want = select_filters(r["branch_logits"]["A"], torch.from_numpy(w["importance.conv2"]), 2, 2, 3)
    assert torch.equal(mask, want & ~exited[:, None])
    assert (mask.sum(1)[~exited] <= 3).all() and not mask[exited].any()
    # conv3 reads zeros in the channels conv2 did not compute
    live = ~exited
    conv3_in = seen["in"][live]
    assert (conv3_in.abs().amax(dim=(2, 3)) > 0).logical_and(~mask[live]).sum() == 0
    full = gm.run(x, {"name": "dense"})["logits"]
    assert not torch.allclose(r["logits"][live], full[live])
    assert r["macs"][live].max() <= gm.static_macs(plan)


def test_width_keep_and_topk_match_manual():
    graph, w = small_graph()
    gm = GraphModule(graph, w, [2, 5, 5])
    x = torch.from_numpy(rand(16, 2, 5, 5, seed=9))
    with torch.no_grad():
        env = {"input": x}
        gm._eval(graph["nodes"][:5], list(gm.trunk)[:5], env)
        f = env["flat"]
        w1, b1 = torch.from_numpy(w["fc1.weight"]), torch.from_numpy(w["fc1.bias"])
        w2, b2 = torch.from_numpy(w["fc2.weight"]), torch.from_numpy(w["fc2.bias"])
        h = torch.relu(f @ w1[:5].T + b1[:5])
        want_keep = h @ w2[:, :5].T + b2
        got = gm.run(x, {"name": "k", "width": {"fc1": {"keep": 5}}})
        assert torch.allclose(got["logits"], want_keep, atol=1e-6)
        sel = topk_select(h, 2)
        want_topk = (h * sel) @ w2[:, :5].T + b2
        got2 = gm.run(x, {"name": "t", "width": {"fc1": {"keep": 5, "topk": 2}}})
        assert torch.allclose(got2["logits"], want_topk, atol=1e-6)
    dense = gm.static_macs()
    assert dense - gm.static_macs({"name": "k", "width": {"fc1": {"keep": 5}}}) == 3 * 4 + 3 * 3


def test_validate_plan_rules():
    graph, w = small_graph()
    w["importance.conv3"] = w["importance.conv2"][:, :4]
    w["importance.conv1"] = w["importance.conv2"][:, :4]
    ok = {"name": "ok", "width": {"fc1": {"keep": 4}},
          "filters": {"branch": "A", "classes": 1, "layers": {"conv2": {"per_class": 1, "cap": 1}}}}
    validate_plan(graph, w, ok)
    bad = [{"name": "b1", "width": {"fc2": {"keep": 2}}},                  # fc2 feeds no gemm
           {"name": "b2", "width": {"conv1": {"keep": 2}}},                # not a gemm
           {"name": "b3", "filters": {"branch": "A", "classes": 1,         # conv3 also feeds branch B
                                      "layers": {"conv3": {"per_class": 1, "cap": 1}}}},
           {"name": "b4", "filters": {"branch": "B", "classes": 1,         # conv2 is before B
                                      "layers": {"conv2": {"per_class": 1, "cap": 1}}}},
           {"name": "b5", "filters": {"branch": "A", "classes": 1,         # conv1 is the branch point
                                      "layers": {"conv1": {"per_class": 1, "cap": 1}}}},
           {"name": "b6", "exits": {"C": 0.5}},
           {"name": "b7", "exit": {"threshold": 0.5}}]                      # legacy form, two branches
    for p in bad:
        with pytest.raises(ValueError):
            validate_plan(graph, w, p)
    residual = json.loads(json.dumps(graph))
    residual["nodes"].insert(2, {"name": "res", "op": "add", "inputs": ["conv2", "conv1"], "output": "res"})
    residual["nodes"][3]["inputs"] = ["res"]
    residual["nodes"][3]["name"] = "conv3"
    w3 = dict(w)
    w3["conv3.weight"] = rand(4, 4, 3, 3)
    w2_ = dict(w3)
    w2_["conv2.weight"] = rand(4, 4, 3, 3)
    w2_["conv2.bias"] = rand(4)
    w2_["importance.conv2"] = w["importance.conv2"][:, :4]
    with pytest.raises(ValueError, match="not consumed"):
        validate_plan(residual, w2_, {"name": "r", "filters": {"branch": "A", "classes": 1,
                                                              "layers": {"conv2": {"per_class": 1, "cap": 1}}}})


def _committed_models():
    return sorted(n for n in os.listdir(MODELS) if os.path.exists(os.path.join(MODELS, n, "config.json")))


@pytest.mark.parametrize("model", _committed_models())
def test_committed_models_reproduce_their_goldens(model):
    """Every committed folder, graph or legacy sequential network, through the reference."""
    from safetensors.numpy import load_file
    d = os.path.join(MODELS, model)
    cfg = json.load(open(os.path.join(d, "config.json")))
    weights = load_file(os.path.join(d, "1", "model.safetensors"))
    golden = load_file(os.path.join(d, "1", "golden.safetensors"))
    gm = GraphModule(cfg.get("graph") or cfg["network"], weights, cfg["inputs"][0]["dims"])
    x = torch.from_numpy(golden["input"][:64])
    for plan in cfg["plans"]:
        validate_plan(gm.graph, weights, plan)
        with torch.no_grad():
            r = gm.run(x, plan)
        want = golden[f"output.{plan['name']}"][:64]
        assert np.abs(r["logits"].numpy() - want).max() <= 1e-4 * np.abs(want).max()
        if "exit" in plan or "exits" in plan:
            assert np.array_equal(r["exited"].numpy().astype(np.uint8), golden[f"exited.{plan['name']}"][:64])
        for conv, m in r["filters"].items():
            assert np.array_equal(m.numpy().astype(np.uint8), golden[f"filters.{plan['name']}.{conv}"][:64])


def test_captum_layer_deeplift_on_nodes_and_branch_training():
    from captum.attr import LayerDeepLift
    graph, w = small_graph()
    gm = GraphModule(graph, w, [2, 5, 5]).eval()
    x = torch.from_numpy(rand(6, 2, 5, 5, seed=3))
    target = torch.tensor([0, 1, 2, 0, 1, 2])
    attr = LayerDeepLift(gm, gm.node_module("conv2")).attribute(x, baselines=torch.zeros_like(x), target=target)
    assert attr.shape == (6, 5, 5, 5) and torch.isfinite(attr).all() and attr.abs().sum() > 0
    battr = LayerDeepLift(BranchView(gm, "B"), gm.node_module("conv3")).attribute(
        x, baselines=torch.zeros_like(x), target=target)
    assert battr.shape == (6, 4, 5, 5)

    gm.freeze_trunk()
    before = {k: v.copy() for k, v in gm.export_weights().items()}
    opt = torch.optim.SGD(list(gm.branch_parameters("A")) + list(gm.branch_parameters("B")), lr=0.1)
    loss = sum(torch.nn.functional.cross_entropy(v, target) for v in gm.branch_forward(x).values())
    loss.backward()
    opt.step()
    after = gm.export_weights()
    assert all(np.array_equal(before[k], after[k]) for k in before if not k.startswith(("A.", "B.")))
    assert not np.array_equal(before["A.fc.weight"], after["A.fc.weight"])
