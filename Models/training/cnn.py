"""fashion-cnn: joint trunk+branch training, BN folding, DeepLIFT filter tables, filter-masked
fine-tuning, exit/filter plan tuning on validation."""
import math
import os

import torch
import torch.nn.functional as F

from common import acc_of, deeplift_tables, log, predict, seed_all
from data import random_shift
from models import CNN, CNN_POST_BRANCH, TrunkOnly, fold_bn
from netexec import run_plan, select_filters

CL = torch.channels_last
FILTERS = {"conv3": 64, "conv4": 64, "conv5": 128}


def _eval(model, x, y):
    model.eval()
    out = predict(lambda xb: torch.cat(model(xb.contiguous(memory_format=CL)), 1), x, bs=1000)
    return acc_of(out[:, :10], y), acc_of(out[:, 10:], y)


def train_joint(data, epochs=15, bs=128, max_lr=3e-3, branch_w=0.5, seed=3):
    seed_all(seed)
    gen = torch.Generator().manual_seed(seed + 100)
    xtr, ytr = data["train"]
    xva, yva = data["val"]
    model = CNN().to(memory_format=CL)
    opt = torch.optim.AdamW(model.parameters(), lr=max_lr, weight_decay=5e-4)
    n = xtr.shape[0]
    steps = epochs * math.ceil(n / bs)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=max_lr, total_steps=steps, pct_start=0.25)
    for ep in range(epochs):
        model.train()
        perm = torch.randperm(n, generator=gen)
        tot = 0.0
        for i in range(0, n, bs):
            idx = perm[i:i + bs]
            xb = random_shift(xtr[idx], gen, pad=2, flip=True).contiguous(memory_format=CL)
            trunk, br = model(xb)
            loss = F.cross_entropy(trunk, ytr[idx]) + branch_w * F.cross_entropy(br, ytr[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            tot += float(loss.detach()) * idx.numel()
        va, vb = _eval(model, xva, yva)
        log(f"  cnn epoch {ep + 1}/{epochs} loss {tot / n:.4f} val trunk {va:.4f} branch {vb:.4f}")
    return model


def filter_config(classes, cap_frac):
    """Filter plan layers: cap = cap_frac of each post-branch conv layer's filters;
    per_class = 3/4 cap for 2 classes, 1/2 cap for 3 classes (so the union usually hits the cap)."""
    layers = {}
    for name, nf in FILTERS.items():
        cap = int(round(nf * cap_frac))
        per_class = math.ceil(cap * (0.75 if classes == 2 else 0.5))
        layers[name] = {"per_class": per_class, "cap": cap}
    return {"classes": classes, "layers": layers}


def _masks(branch_logits, tables, cfg):
    return {l: select_filters(branch_logits, tables[l], cfg["classes"], c["per_class"], c["cap"]).float()
            for l, c in cfg["layers"].items()}


def filter_finetune(model, tables, data, epochs=6, bs=128, lr=3e-4, hard_weight=0.3, seed=4):
    """Fine-tune conv3..conv5 + fc (stem and branch frozen) with the inference-time filter
    masks (branch top-k classes, FORMAT.md selection) mixed with dense passes."""
    seed_all(seed)
    gen = torch.Generator().manual_seed(seed + 100)
    xtr, ytr = data["train"]
    xva, yva = data["val"]
    model = model.to(memory_format=CL)
    train_names = CNN_POST_BRANCH + ["fc"]
    params = []
    for name, p in model.named_parameters():
        p.requires_grad_(name.split(".")[0] in train_names)
        if p.requires_grad:
            params.append(p)
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=1e-4)
    n = xtr.shape[0]
    steps = epochs * math.ceil(n / bs)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps, pct_start=0.1)
    # the budgets shipped as plans (2 classes), the 50% budget sampled twice as often
    cfgs = [filter_config(2, f) for f in (0.5, 0.5, 0.375, 0.25)]
    model.eval()  # no BN / dropout left in the trainable part; keeps the branch deterministic
    for ep in range(epochs):
        perm = torch.randperm(n, generator=gen)
        for i in range(0, n, bs):
            idx = perm[i:i + bs]
            xb = random_shift(xtr[idx], gen, pad=2, flip=True).contiguous(memory_format=CL)
            yb = ytr[idx]
            with torch.no_grad():
                h2 = model.stem(xb)
                bl = model.branch(h2)
                # at inference only samples the branch is unsure about reach the filtered
                # trunk: weight the masked loss towards low branch confidence
                hard = 1.0 - F.softmax(bl, dim=1).max(1).values
                wgt = hard_weight + (1.0 - hard_weight) * hard / hard.mean().clamp(min=1e-6)
            dense = model.rest(h2)
            loss = F.cross_entropy(dense, yb)
            teacher = F.softmax(dense.detach(), dim=1)
            cfg = cfgs[int(torch.randint(0, len(cfgs), (1,), generator=gen))]
            out = model.rest(h2, _masks(bl, tables, cfg))
            ce = F.cross_entropy(out, yb, reduction="none")
            kd = F.kl_div(F.log_softmax(out, dim=1), teacher, reduction="none").sum(1)
            loss = loss + ((0.8 * ce + 0.2 * kd) * wgt).mean()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
        msg = []
        with torch.no_grad():
            for cfg in (None, filter_config(2, 0.5), filter_config(2, 0.25)):
                def fn(xb, cfg=cfg):
                    xb = xb.contiguous(memory_format=CL)
                    h2 = model.stem(xb)
                    return model.rest(h2, None if cfg is None else _masks(model.branch(h2), tables, cfg))
                msg.append(f"{acc_of(predict(fn, xva), yva):.4f}")
        log(f"  filter fine-tune epoch {ep + 1}/{epochs} val dense/c2-50%/c2-25%: {' '.join(msg)}")
    for p in model.parameters():
        p.requires_grad_(True)
    return model


def network_config():
    conv = lambda n: {"op": "conv2d", "name": n, "stride": 1, "padding": 1, "relu": True}
    pool = {"op": "maxpool2d", "kernel": 2, "stride": 2}
    return {
        "layers": [conv("conv1"), dict(pool), conv("conv2"), conv("conv3"), conv("conv4"),
                   dict(pool), conv("conv5"), {"op": "global_avgpool"},
                   {"op": "linear", "name": "fc", "relu": False}],
        "branch": {"after": "conv2", "layers": [
            dict(pool), {"op": "flatten"},
            {"op": "linear", "name": "branch_fc1", "relu": True},
            {"op": "linear", "name": "branch_fc2", "relu": False}]},
    }


def _batched(weights, net, plan, x, bs=1000):
    outs = [run_plan(weights, net, plan, x[i:i + bs]) for i in range(0, x.shape[0], bs)]
    return {"logits": torch.cat([o["logits"] for o in outs]),
            "macs": torch.cat([o["macs"] for o in outs]),
            "branch_logits": (torch.cat([o["branch_logits"] for o in outs])
                              if outs[0]["branch_logits"] is not None else None),
            "macs_at_branch": (torch.cat([o["macs_at_branch"] for o in outs])
                               if outs[0]["macs_at_branch"] is not None else None)}


THRESHOLDS = sorted(set([round(float(v), 4) for v in torch.linspace(0.30, 0.99, 70)] +
                        [round(1.0 - 10 ** (-e / 4), 5) for e in range(8, 21)]))


def tune_plans(weights, data, info):
    """Choose exit thresholds / filter budgets on the validation split."""
    net = network_config()
    xva, yva = data["val"]
    dense = _batched(weights, net, {"name": "dense"}, xva)
    dense_macs = float(dense["macs"][0])
    acc_d = acc_of(dense["logits"], yva)
    # filters-only runs give trunk logits under each filter budget plus the branch logits
    trunk = {"dense": (dense["logits"], dense["macs"])}
    cfg_acc = {}
    for classes in (2,):
        for frac in (0.5, 0.375, 0.25):
            cfg = filter_config(classes, frac)
            r = _batched(weights, net, {"name": "f", "filters": cfg}, xva)
            trunk[(classes, frac)] = (r["logits"], r["macs"])
            cfg_acc[(classes, frac)] = acc_of(r["logits"], yva)
            branch_logits, at_branch = r["branch_logits"], r["macs_at_branch"]
    info["val_filters_only"] = {f"c{c}-{f}": a for (c, f), a in cfg_acc.items()}
    log(f"  val dense {acc_d:.4f}; filters-only {info['val_filters_only']}")
    pmax = torch.softmax(branch_logits, dim=1).max(1).values
    bpred = branch_logits.argmax(1)
    # cost of a non-exiting sample on the dense trunk when the branch also runs
    trunk["dense"] = (dense["logits"], dense["macs"] + (float(at_branch[0]) - _prebranch_macs(weights)))

    def evaluate(key, thr):
        logits, macs = trunk[key]
        ex = pmax >= thr
        pred = torch.where(ex, bpred, logits.argmax(1))
        m = torch.where(ex, at_branch, macs)
        return float((pred == yva).double().mean()), float(m.mean()) / dense_macs

    def pick(key, loss_pts):
        best = None
        for t in THRESHOLDS:
            a, c = evaluate(key, t)
            if a >= acc_d - loss_pts / 100 - 1e-9 and (best is None or c < best[2]):
                best = (t, a, c)
        return best

    plans = [{"name": "dense"}]
    for loss in (0.25, 0.5, 1.0, 2.0):
        b = pick("dense", loss)
        if b is None:
            continue
        log(f"  exit loss<={loss}: thr {b[0]} val acc {b[1]:.4f} cost {b[2]:.3f}")
        if float((pmax >= b[0]).double().mean()) >= 0.999:
            log("    (skipped: practically the branch-only plan)")
            continue
        plans.append({"name": f"exit-{int(round(loss * 100)):03d}", "exit": {"threshold": b[0]}})
    best_c = {f: 2 for f in (0.5, 0.375, 0.25)}
    plans.append({"name": "filters-50", "filters": filter_config(best_c[0.5], 0.5)})
    for frac, loss, name in ((0.5, 0.5, "exit-filters-50"), (0.375, 0.75, "exit-filters-38"),
                             (0.25, 1.0, "exit-filters-25")):
        key = (best_c[frac], frac)
        b = pick(key, loss)
        if b is None:
            log(f"  {name}: no threshold within {loss} pts; using the most accurate threshold")
            b = max(((t,) + evaluate(key, t) for t in THRESHOLDS), key=lambda r: (r[1], -r[2]))
        log(f"  {name}: classes {key[0]} thr {b[0]} val acc {b[1]:.4f} cost {b[2]:.3f}")
        plans.append({"name": name, "exit": {"threshold": b[0]},
                      "filters": filter_config(key[0], frac)})
    plans.append({"name": "branch-only", "exit": {"threshold": 0.0}})
    # drop duplicate thresholds among exit-only plans
    seen, out = set(), []
    for p in plans:
        key = json_key(p)
        if key not in seen:
            seen.add(key)
            out.append(p)
    return out


def json_key(p):
    import json
    return json.dumps({k: v for k, v in p.items() if k != "name"}, sort_keys=True)


def _prebranch_macs(weights):
    from netexec import static_macs
    net = network_config()
    ops = []
    for op in net["layers"]:
        ops.append(op)
        if op.get("name") == net["branch"]["after"]:
            break
    return static_macs(weights, {"layers": ops, "branch": None}, {}, [1, 28, 28])



def run(data, epochs=15, ft_epochs=6, cache=None):
    xva, yva = data["val"]
    xte, yte = data["test"]
    xtr, ytr = data["train"]
    if cache and os.path.exists(cache):
        log(f"fashion-cnn: loading trained+folded model and tables from {cache}")
        ck = torch.load(cache)
        folded = CNN(folded=True)
        folded.load_state_dict(ck["state"])
        folded.eval()
        tables, info = ck["tables"], ck["info"]
    else:
        folded, tables, info = _train_fold_rank(data, epochs)
        if cache:
            torch.save({"state": folded.state_dict(), "tables": tables, "info": info}, cache)
    log("fashion-cnn: filter-masked fine-tuning")
    folded = filter_finetune(folded, tables, data, epochs=ft_epochs)
    folded = folded.to(memory_format=torch.contiguous_format).eval()
    weights = {k: v.detach().clone().float().contiguous() for k, v in folded.state_dict().items()}
    for k, v in tables.items():
        weights["importance." + k] = v.contiguous()
    log("fashion-cnn: plan tuning on validation")
    plans = tune_plans(weights, data, info)
    return {"model": folded, "weights": weights, "network": network_config(), "plans": plans,
            "input_dims": [1, 28, 28], "info": info,
            "onnx_module": TrunkOnly(folded).eval(), "onnx_example": torch.zeros(2, 1, 28, 28)}


def _train_fold_rank(data, epochs):
    log("fashion-cnn: joint trunk + branch training")
    model = train_joint(data, epochs=epochs)
    xva, yva = data["val"]
    xte, yte = data["test"]
    info = {}
    info["dense_val_before_ft"], info["branch_val_before_ft"] = _eval(model, xva, yva)
    info["dense_test_before_ft"], info["branch_test_before_ft"] = _eval(model, xte, yte)
    log(f"fashion-cnn: val trunk/branch {info['dense_val_before_ft']:.4f}/{info['branch_val_before_ft']:.4f} "
        f"test {info['dense_test_before_ft']:.4f}/{info['branch_test_before_ft']:.4f}")
    model.eval()
    folded = fold_bn(model)
    folded.eval()
    with torch.no_grad():
        a = torch.cat(model(xva[:500].contiguous(memory_format=CL)), 1)
        b = torch.cat(folded(xva[:500]), 1)
    info["fold_max_abs_err"] = float((a - b).abs().max())
    log(f"fashion-cnn: BN folded, max |diff| {info['fold_max_abs_err']:.2e}")
    log("fashion-cnn: DeepLIFT filter tables (conv3..conv5, all training images)")
    xtr, ytr = data["train"]
    trunk = TrunkOnly(folded).eval()
    tables = deeplift_tables(trunk, {"conv3": folded.relu3, "conv4": folded.relu4,
                                     "conv5": folded.relu5}, xtr, ytr, bs=500)
    return folded, tables, info
