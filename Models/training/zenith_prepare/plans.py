"""Candidate plans, their evaluation, and the choice of the plans a model folder ships.

Candidates:
- dense;
- exits: at each branch alone (and at all branches together if there are several), with
  thresholds at the validation quantiles 0.2/0.4/0.6/0.8/0.9 of that branch's top softmax
  probability (about 80/60/40/20/10% of samples leave), and threshold 0 (every sample leaves:
  the branch alone, the cheapest point);
- filters (branch = the first branch; classes 2 or 3; per_class = 25/38/50% of each eligible
  conv's channels, cap = min(out, round(1.33 * per_class))) on all eligible convs, alone and
  with exits at the first branch at the same thresholds;
- width, on every trunk gemm that feeds one gemm: keep 75/50/37.5/25/18.75/12.5% of its
  outputs (importance order), each alone and with a top-k of half the kept outputs, and top-k
  of 50/25/12.5% alone.

Choice (`choose`): filter plans whose worst-case multiply-adds (static_macs) are not below
dense are dropped. Of the rest, the Pareto frontier of (validation accuracy higher, cost
lower) is kept, where cost is a per-plan number. Dense is always first. If more than
`max_plans - 1` frontier plans remain, they are thinned to evenly spaced ones along the cost
axis, keeping the cheapest and the most accurate.

`scripts/prepare.sh` chooses twice: first with cost = mean multiply-adds per validation sample
(up to 16 plans), then, after `zenith profile` has measured those on this machine, with cost =
measured mean batch-1 latency (up to 10 plans): the plans a model ships are the Pareto frontier
of validation accuracy against measured latency.

Evaluation runs graph_ref once per distinct "base" (dense with every branch computed, each
filter configuration, each width plan) and derives the exit variants from it: a sample that
leaves at a branch before any filtered conv has that branch's logits and the multiply-adds up
to that branch; one that stays has the base's result plus the extra heads' cost. `verify`
checks derived results against a real `GraphModule.run` on a few samples.
"""
import math

import numpy as np
import torch

from .progress import Every

QUANTILES = (0.2, 0.4, 0.6, 0.8, 0.9)
FILTER_FRACTIONS = (0.25, 0.38, 0.5)
FILTER_CLASSES = (2, 3)
WIDTH_KEEP = (0.75, 0.5, 0.375, 0.25, 0.1875, 0.125)
WIDTH_TOPK = (0.5, 0.25, 0.125)


def _thresholds(conf):
    out = []
    for q in QUANTILES:
        t = math.floor(float(np.quantile(conf, q)) * 1e4) / 1e4
        t = min(max(t, 0.0001), 0.9999)
        if t not in out:
            out.append(t)
    return out


def candidates(graph, weights, convs, chains, branch_conf):
    """Candidate plan dicts. branch_conf: {branch name: validation top softmax prob}."""
    branches = [b["name"] for b in graph.get("branches", [])]
    grid = {b: _thresholds(branch_conf[b]) for b in branches}
    plans = [{"name": "dense"}]
    for b in branches:
        plans += [{"name": f"{b}-{t:.4f}", "exits": {b: t}} for t in grid[b]]
        # Every sample leaves at the branch: the cheapest point, for the heaviest load.
        plans.append({"name": f"{b}-only", "exits": {b: 0.0}})
    if len(branches) > 1:
        for qi in range(len(QUANTILES)):
            ex = {b: grid[b][min(qi, len(grid[b]) - 1)] for b in branches}
            plans.append({"name": "exits-q" + str(int(QUANTILES[qi] * 100)), "exits": ex})
    if branches and convs:
        first = branches[0]
        for m in FILTER_CLASSES:
            for f in FILTER_FRACTIONS:
                base = f"filters-c{m}-p{round(f * 100)}"
                fl = filter_config(weights, convs, first, m, f)
                plans.append({"name": base, "filters": fl})
                plans += [{"name": f"{base}-{first}-{t:.4f}", "exits": {first: t}, "filters": fl}
                          for t in grid[first]]
    trunk_chains = [g for g, _, b in chains if b is None]
    if trunk_chains:
        for k in WIDTH_KEEP:
            plans.append({"name": f"keep-{k * 100:g}", "width": width_config(weights, trunk_chains, k)})
            plans.append({"name": f"keep-{k * 100:g}-topk-{k * 50:g}",
                          "width": width_config(weights, trunk_chains, k, k / 2)})
        for t in WIDTH_TOPK:
            plans.append({"name": f"topk-{t * 100:g}", "width": width_config(weights, trunk_chains, None, t)})
    return plans


def filter_config(weights, convs, branch, classes, fraction):
    """A plan's `filters`: per_class = `fraction` of each conv's channels, cap = 1.33 x that."""
    layers = {}
    for c in convs:
        out = weights[f"{c}.weight"].shape[0]
        p = max(1, round(fraction * out))
        layers[c] = {"per_class": p, "cap": min(out, round(1.33 * p))}
    return {"branch": branch, "classes": classes, "layers": layers}


def width_config(weights, gemms, keep=None, topk=None):
    """A plan's `width`: keep and/or top-k as fractions of each gemm's outputs."""
    out = {}
    for g in gemms:
        n = weights[f"{g}.weight"].shape[0]
        c = {}
        if keep is not None:
            c["keep"] = max(1, round(keep * n))
        if topk is not None:
            c["topk"] = max(1, round(topk * n))
        out[g] = c
    return out


def _base_key(plan):
    return repr((plan.get("filters"), plan.get("width")))


@torch.no_grad()
def _run_batched(module, plan, x, bs, tick=None):
    outs = {"logits": [], "macs": [], "exited": [], "branch_logits": {}}
    for i in range(0, x.shape[0], bs):
        r = module.run(torch.from_numpy(x[i:i + bs]), plan)
        outs["logits"].append(r["logits"])
        outs["macs"].append(r["macs"])
        if r["exited"] is not None:
            outs["exited"].append(r["exited"])
        for k, v in r["branch_logits"].items():
            outs["branch_logits"].setdefault(k, []).append(v)
        if tick:
            tick(min(i + bs, x.shape[0]), x.shape[0])
    return {"logits": torch.cat(outs["logits"]), "macs": torch.cat(outs["macs"]),
            "exited": torch.cat(outs["exited"]) if outs["exited"] else None,
            "branch_logits": {k: torch.cat(v) for k, v in outs["branch_logits"].items()}}


def _derivable(graph, plan):
    """Exit variants can be derived when every exit branch is at or before the filter
    branch (the trunk up to there is dense); width plans and later exits are run."""
    if not plan.get("exits") or plan.get("width"):
        return False
    if not plan.get("filters"):
        return True
    names = [b["name"] for b in graph["branches"]]
    fb = names.index(plan["filters"]["branch"])
    return all(names.index(b) <= fb for b in plan["exits"])


class Evaluator:
    """Evaluates plans on one split (x, y), sharing base runs across exit variants."""

    def __init__(self, module, x, y, bs=256, what="validation"):
        self.module, self.x, self.y, self.bs, self.what = module, x, y, bs, what
        g = module.graph
        self.names = [b["name"] for b in g.get("branches", [])]
        self.dense_static = module.static_macs({"name": "dense"})
        self.head, self.upto = {}, {}
        for b in self.names:
            with_head = module.static_macs({"name": "h", "exits": {b: 2.0}})
            self.head[b] = with_head - self.dense_static
            self.upto[b] = module.static_macs({"name": "u", "exits": {b: 0.0}}) - self.head[b]
        self.bases = {}

    def _base(self, plan):
        key = _base_key(plan)
        if key not in self.bases:
            p = {"name": "base"}
            if plan.get("filters"):
                p["filters"] = plan["filters"]
            if plan.get("width"):
                p["width"] = plan["width"]
            if not plan.get("filters") and not plan.get("width"):
                p["exits"] = {b: 2.0 for b in self.names}   # computes every branch, none exits
            label = plan["name"] if key != _base_key({}) else "dense"
            r = _run_batched(self.module, p, self.x, self.bs, Every(f"evaluate ({self.what}) {label}"))
            if "exits" in p:
                r["macs"] = r["macs"] - sum(self.head.values())   # the heads are not part of dense
            self.bases[key] = r
        return self.bases[key]

    def outputs(self, plan):
        """(logits [n, classes], macs [n] float64, exited int64 [n])."""
        n = self.x.shape[0]
        if plan.get("exits") and not _derivable(self.module.graph, plan):
            r = _run_batched(self.module, plan, self.x, self.bs, Every(f"evaluate ({self.what}) {plan['name']}"))
            return r["logits"], r["macs"], r["exited"]
        base = self._base(plan)
        logits, macs = base["logits"].clone(), base["macs"].clone()
        exited = torch.zeros(n, dtype=torch.int64)
        exits = plan.get("exits", {})
        if exits:
            dense = self._base({})
            fb = plan["filters"]["branch"] if plan.get("filters") else None
            alive = torch.ones(n, dtype=torch.bool)
            spent = 0.0
            for b in self.names:
                if b not in exits:
                    continue
                spent += self.head[b] if b != fb else 0.0
                bl = dense["branch_logits"][b]
                leave = alive & (torch.softmax(bl, 1).max(1).values >= exits[b])
                logits[leave] = bl[leave]
                cost = self.upto[b] + sum(self.head[c] for c in self.names[:self.names.index(b) + 1]
                                          if c in exits or c == fb)
                macs[leave] = cost
                exited[leave] = self.names.index(b) + 1
                alive &= ~leave
            macs[alive] += spent
        return logits, macs, exited

    def evaluate(self, plan):
        logits, macs, exited = self.outputs(plan)
        y = torch.from_numpy(self.y)
        return {"name": plan["name"],
                "accuracy": float((logits.argmax(1) == y).double().mean()),
                "mean_macs": float(macs.mean()),
                "worst_macs": float(self.module.static_macs(plan)),
                "dense_macs": float(self.dense_static),
                "exit_rate": float((exited > 0).double().mean())}

    @torch.no_grad()
    def verify(self, plan, count=64):
        """Derived results == a direct run on the first `count` samples."""
        logits, macs, exited = self.outputs(plan)
        r = self.module.run(torch.from_numpy(self.x[:count]), plan)
        ok_logits = torch.allclose(r["logits"], logits[:count], rtol=1e-4, atol=1e-4)
        ok_macs = torch.allclose(r["macs"], macs[:count].double(), rtol=1e-9)
        ok_exit = r["exited"] is None or torch.equal(r["exited"], exited[:count])
        if not (ok_logits and ok_macs and ok_exit):
            raise AssertionError(f"plan {plan['name']}: derived evaluation differs from a direct run "
                                 f"(logits {ok_logits}, macs {ok_macs}, exits {ok_exit})")


def choose(plans, evals, cost=None, max_plans=10):
    """Plans to ship (dense first); see the module docstring. evals: name -> evaluation."""
    cost = cost or (lambda e: e["mean_macs"])
    dense = plans[0]
    ok = [p for p in plans[1:]
          if not (p.get("filters") and evals[p["name"]]["worst_macs"] >= evals["dense"]["worst_macs"])]
    ok.sort(key=lambda p: (cost(evals[p["name"]]), -evals[p["name"]]["accuracy"]))
    front, best = [], -1.0
    for p in ok:
        if evals[p["name"]]["accuracy"] > best:
            front.append(p)
            best = evals[p["name"]]["accuracy"]
    # A plan no cheaper than dense and no more accurate is of no use.
    d = evals["dense"]
    front = [p for p in front if cost(evals[p["name"]]) < cost(d) or evals[p["name"]]["accuracy"] > d["accuracy"]]
    keep = max_plans - 1
    if len(front) > keep:
        idx = sorted({round(i * (len(front) - 1) / (keep - 1)) for i in range(keep)})
        front = [front[i] for i in idx]
    return [dense] + front
