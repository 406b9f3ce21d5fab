"""Fine-tuning the network for its plans (`--finetune EPOCHS`; off by default, since it changes
the user's weights).

Every parameter trains (AdamW, one-cycle schedule; the exit heads at 5x the trunk's rate), each
step on one training batch, with the sum of:
- dense: cross-entropy on the trunk's logits plus distillation (KL) towards the original
  network's logits, so dense accuracy stays where the user left it;
- exits: cross-entropy on every branch head, so the trunk learns to serve its heads (joint
  early-exit training);
- widths (the sandwich rule of slimmable networks), when the trunk has gemm chains: the
  narrowest candidate width, a random prefix width, and a random prefix with a random top-k,
  each 0.5 cross-entropy + 0.5 KL towards the current dense logits (prefixes are in importance
  order, so the most important neurons learn to stand alone);
- filters, when there are filterable convs: one filter configuration drawn from the candidates'
  grid, 0.8 cross-entropy + 0.2 KL, each sample weighted by how unsure the first branch is
  about it (at an exit threshold only unsure samples reach the filtered convs). The importance
  tables stay those computed before, so selection at inference is the one trained for.
The training split is used as it is: no augmentation, since what preserves a label depends on
the data. Validation accuracy of dense, every head and the narrowest width / smallest filter
configuration is reported after each epoch and before/after in the report.
"""
import math
import random

import torch
import torch.nn.functional as F

from .graph_ref import GraphModule
from .plans import FILTER_CLASSES, FILTER_FRACTIONS, WIDTH_KEEP, WIDTH_TOPK, filter_config, width_config
from .progress import Every, say

BATCH = 128
TRUNK_LR = 3e-4
HEAD_LR_FACTOR = 5.0
EXIT_WEIGHT = 0.5
HARD_FLOOR = 0.3    # least weight of a sample the branch is sure about, in the filter loss


def _kl(student, teacher_probs):
    return F.kl_div(F.log_softmax(student, dim=1), teacher_probs, reduction="none").sum(1)


class _Probes:
    """The plans whose validation accuracy is reported: dense, each head, narrowest width,
    smallest filter configuration."""

    def __init__(self, graph, weights, chains, convs):
        self.branches = [b["name"] for b in graph.get("branches", [])]
        self.plans = [{"name": "dense"}]
        if chains:
            self.plans.append({"name": "narrowest width", "width": width_config(weights, chains, min(WIDTH_KEEP))})
        if convs and self.branches:
            self.plans.append({"name": "smallest filters", "filters": filter_config(
                weights, convs, self.branches[0], max(FILTER_CLASSES), min(FILTER_FRACTIONS))})

    @torch.no_grad()
    def __call__(self, module, x, y, bs=500):
        y = torch.from_numpy(y)
        out = {}
        for plan in self.plans:
            p = dict(plan)
            if plan["name"] == "dense" and self.branches:
                p["exits"] = {b: 2.0 for b in self.branches}   # runs every head, none exits
            logits, heads = [], {b: [] for b in self.branches}
            for i in range(0, x.shape[0], bs):
                r = module.run(torch.from_numpy(x[i:i + bs]), p)
                logits.append(r["logits"])
                if plan["name"] == "dense":
                    for b in self.branches:
                        heads[b].append(r["branch_logits"][b])
            out[plan["name"]] = float((torch.cat(logits).argmax(1) == y).double().mean())
            if plan["name"] == "dense":
                for b in self.branches:
                    out[b] = float((torch.cat(heads[b]).argmax(1) == y).double().mean())
        return out


def finetune(graph, weights, input_dims, data, chains, convs, epochs, seed):
    """Returns (fine-tuned weights, importance tables kept; report)."""
    torch.manual_seed(seed)
    rng = random.Random(seed)
    gen = torch.Generator().manual_seed(seed)
    module = GraphModule(graph, weights, input_dims)
    branches = [b["name"] for b in graph.get("branches", [])]
    probes = _Probes(graph, weights, chains, convs)
    xv, yv = data.x["validation"], data.y["validation"]
    before = probes(module.eval(), xv, yv)
    say("finetune: validation before " + ", ".join(f"{k} {v:.4f}" for k, v in before.items()))

    xt, yt = data.x["train"], data.y["train"]
    n = xt.shape[0]
    with torch.no_grad():
        tick = Every("finetune: original logits")
        teacher = []
        for i in range(0, n, 500):
            teacher.append(F.softmax(module(torch.from_numpy(xt[i:i + 500])), dim=1))
            tick(min(i + 500, n), n)
        teacher = torch.cat(teacher)

    head_params = [p for i in range(len(branches)) for p in module.branches[i].parameters()]
    opt = torch.optim.AdamW([{"params": list(module.trunk.parameters()), "lr": TRUNK_LR},
                             {"params": head_params, "lr": TRUNK_LR * HEAD_LR_FACTOR}], weight_decay=1e-4)
    steps_per_epoch = math.ceil(n / BATCH)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=[TRUNK_LR, TRUNK_LR * HEAD_LR_FACTOR],
                                                total_steps=epochs * steps_per_epoch, pct_start=0.1)
    dense_plan = {"name": "dense", "exits": {b: 2.0 for b in branches}} if branches else None
    keeps = sorted(set(WIDTH_KEEP) | {k / 16 for k in range(2, 17)})
    history = []
    for ep in range(epochs):
        module.train()
        perm = torch.randperm(n, generator=gen)
        tick = Every(f"finetune: epoch {ep + 1}/{epochs}")
        for s, i in enumerate(range(0, n, BATCH)):
            idx = perm[i:i + BATCH]
            xb, yb = torch.from_numpy(xt[idx.numpy()]), torch.from_numpy(yt[idx.numpy()])
            if dense_plan:
                r = module.run(xb, dense_plan)
                dense, heads = r["logits"], r["branch_logits"]
            else:
                dense, heads = module(xb), {}
            loss = F.cross_entropy(dense, yb) + _kl(dense, teacher[idx]).mean()
            for b in branches:
                loss = loss + EXIT_WEIGHT * F.cross_entropy(heads[b], yb)
            current = F.softmax(dense.detach(), dim=1)
            if chains:
                configs = [width_config(weights, chains, min(WIDTH_KEEP)),
                           width_config(weights, chains, rng.choice(keeps)),
                           width_config(weights, chains, rng.choice(keeps), rng.choice(WIDTH_TOPK))]
                for w in configs:
                    out = module.run(xb, {"name": "w", "width": w})["logits"]
                    loss = loss + 0.5 * F.cross_entropy(out, yb) + 0.5 * _kl(out, current).mean()
            if convs and branches:
                fl = filter_config(weights, convs, branches[0], rng.choice(FILTER_CLASSES),
                                   rng.choice(FILTER_FRACTIONS))
                out = module.run(xb, {"name": "f", "filters": fl})["logits"]
                unsure = 1.0 - F.softmax(heads[branches[0]].detach(), dim=1).max(1).values
                wgt = HARD_FLOOR + (1.0 - HARD_FLOOR) * unsure / unsure.mean().clamp(min=1e-6)
                per = 0.8 * F.cross_entropy(out, yb, reduction="none") + 0.2 * _kl(out, current)
                loss = loss + (per * wgt).mean()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            tick(s + 1, steps_per_epoch, "steps")
        acc = probes(module.eval(), xv, yv)
        history.append(acc)
        say(f"finetune: epoch {ep + 1}/{epochs} validation " + ", ".join(f"{k} {v:.4f}" for k, v in acc.items()))
    tuned = dict(weights)
    tuned.update(module.export_weights())
    report = {"epochs": epochs, "validation_before": before, "validation_after": history[-1] if history else before,
              "history": history}
    return tuned, report


def export_dense_onnx(graph, weights, input_dims, path, opset=17):
    """Writes the dense trunk with these weights as ONNX (the peer benchmark's model once
    fine-tuning has changed the weights)."""
    module = GraphModule(dict(graph, branches=[]), weights, input_dims).eval()
    x = torch.zeros(1, *input_dims)
    torch.onnx.export(module, (x,), str(path), input_names=["input"], output_names=["logits"],
                      opset_version=opset, dynamo=False,
                      dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})
