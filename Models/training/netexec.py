"""Models/FORMAT.md's sequential "network" run by the graph interpreter
(zenith_prepare/graph_ref.py), with the call shapes the fashion pipelines use."""
import torch

from zenith_prepare.graph_ref import GraphModule, select_filters, topk_select  # noqa: F401


@torch.no_grad()
def run_plan(weights, network, plan, x, num_classes=10):
    """x [N, *input_dims] f32. Returns dict: logits [N,10], exited bool [N] (or None),
    filters {layer: bool [N,F]} (or {}), macs f64 [N], branch_logits (or None),
    macs_at_branch (or None)."""
    r = GraphModule(network, weights).run(x, plan)
    return {
        "logits": r["logits"],
        "exited": r["exited"] > 0 if r["exited"] is not None else None,
        "filters": r["filters"],
        "macs": r["macs"],
        "branch_logits": r["branch_logits"].get("branch"),
        "macs_at_branch": r["macs_at_branch"].get("branch"),
    }


def static_macs(weights, network, plan, input_dims, worst=True):
    """Worst-case (non-exiting sample) multiply-adds of a plan, from shapes and plan limits."""
    return GraphModule(network, weights, input_dims).static_macs(plan)


def accuracy(logits, labels):
    return float((logits.argmax(1) == labels).double().mean())
