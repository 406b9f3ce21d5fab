"""fashion-mlp: dense training, DeepLIFT neuron ranking, permutation, sandwich fine-tuning."""
import math

import torch
import torch.nn.functional as F

from common import acc_of, deeplift_tables, log, predict, seed_all
from data import random_shift
from models import MLP

H = 1024


def _evaluate(model, x, y, **kw):
    model.eval()
    if kw:
        fn = lambda xb: model.forward_width(xb, **kw)
    else:
        fn = model
    return acc_of(predict(fn, x.flatten(1)), y)


def train_dense(data, epochs=25, bs=256, max_lr=1e-3, shift=0, seed=1):
    seed_all(seed)
    gen = torch.Generator().manual_seed(seed + 100)
    xtr, ytr = data["train"]
    xva, yva = data["val"]
    model = MLP(hidden=(H, H), dropout=0.3)
    opt = torch.optim.AdamW(model.parameters(), lr=max_lr, weight_decay=1e-4)
    steps = epochs * math.ceil(xtr.shape[0] / bs)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=max_lr, total_steps=steps, pct_start=0.15)
    n = xtr.shape[0]
    for ep in range(epochs):
        model.train()
        perm = torch.randperm(n, generator=gen)
        tot = 0.0
        for i in range(0, n, bs):
            idx = perm[i:i + bs]
            xb = xtr[idx]
            if shift:
                xb = random_shift(xb, gen, pad=shift)
            loss = F.cross_entropy(model(xb.flatten(1)), ytr[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            tot += float(loss.detach()) * idx.numel()
        if ep % 5 == 4 or ep == epochs - 1:
            log(f"  mlp epoch {ep + 1}/{epochs} loss {tot / n:.4f} val {_evaluate(model, xva, yva):.4f}")
    return model


@torch.no_grad()
def permute_by_importance(model, tables):
    """Permute hidden neurons into descending global importance (mean over classes; ties to
    the lower index). Returns the permuted tables."""
    o1 = torch.sort(tables["fc1"].double().mean(0), descending=True, stable=True).indices
    o2 = torch.sort(tables["fc2"].double().mean(0), descending=True, stable=True).indices
    model.fc1.weight.copy_(model.fc1.weight[o1])
    model.fc1.bias.copy_(model.fc1.bias[o1])
    model.fc2.weight.copy_(model.fc2.weight[:, o1])
    model.fc2.weight.copy_(model.fc2.weight[o2])
    model.fc2.bias.copy_(model.fc2.bias[o2])
    model.fc3.weight.copy_(model.fc3.weight[:, o2])
    return {"fc1": tables["fc1"][:, o1], "fc2": tables["fc2"][:, o2]}


def sandwich_finetune(model, data, epochs=10, bs=256, lr=5e-4, min_w=128, shift=0, seed=2):
    """Each step: full width (CE) + smallest prefix + random prefix + random prefix/top-k
    (CE mixed with distillation from the full-width output)."""
    seed_all(seed)
    gen = torch.Generator().manual_seed(seed + 100)
    xtr, ytr = data["train"]
    xva, yva = data["val"]
    for m in (model.drop1, model.drop2):
        m.p = 0.2
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
    n = xtr.shape[0]
    steps = epochs * math.ceil(n / bs)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps, pct_start=0.1)
    widths = list(range(min_w, H + 1, 64))
    topks = [64, 128, 256, 512]
    ri = lambda hi: int(torch.randint(0, hi, (1,), generator=gen))
    for ep in range(epochs):
        model.train()
        perm = torch.randperm(n, generator=gen)
        for i in range(0, n, bs):
            idx = perm[i:i + bs]
            xb = xtr[idx]
            if shift:
                xb = random_shift(xb, gen, pad=shift)
            xb = xb.flatten(1)
            yb = ytr[idx]
            full = model(xb)
            loss = F.cross_entropy(full, yb)
            teacher = F.softmax(full.detach(), dim=1)
            k = widths[ri(len(widths))]
            k1, k2 = widths[ri(len(widths))], widths[ri(len(widths))]
            t1, t2 = topks[ri(len(topks))], topks[ri(len(topks))]
            cfgs = [dict(k1=min_w, k2=min_w), dict(k1=k, k2=k),
                    dict(k1=k1, k2=k2, t1=t1 if ri(2) else None, t2=t2 if ri(2) else None)]
            for c in cfgs:
                out = model.forward_width(xb, **c)
                loss = loss + 0.5 * F.cross_entropy(out, yb) + 0.5 * F.kl_div(
                    F.log_softmax(out, dim=1), teacher, reduction="batchmean")
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
        model.eval()
        log(f"  sandwich epoch {ep + 1}/{epochs} val dense {_evaluate(model, xva, yva):.4f} "
            f"k384 {_evaluate(model, xva, yva, k1=384, k2=384):.4f} "
            f"k256 {_evaluate(model, xva, yva, k1=256, k2=256):.4f} "
            f"k128 {_evaluate(model, xva, yva, k1=128, k2=128):.4f}")
    return model


def mlp_tables(model, x, y):
    model.eval()
    return deeplift_tables(model, {"fc1": model.relu1, "fc2": model.relu2}, x.flatten(1), y, bs=1000)


def network_config():
    return {
        "layers": [
            {"op": "linear", "name": "fc1", "relu": True},
            {"op": "linear", "name": "fc2", "relu": True},
            {"op": "linear", "name": "fc3", "relu": False},
        ],
        "branch": None,
    }


def candidate_plans():
    def w(k=None, t=None):
        d = {}
        if k is not None:
            d["keep"] = k
        if t is not None:
            d["topk"] = t
        return {"fc1": dict(d), "fc2": dict(d)}

    plans = [{"name": "dense"}]
    for k in (768, 512, 384, 256, 192, 128):
        plans.append({"name": f"keep-{k}", "width": w(k=k)})
    for t in (512, 256, 128):
        plans.append({"name": f"topk-{t}", "width": w(t=t)})
    plans.append({"name": "keep-512-topk-256", "width": w(k=512, t=256)})
    plans.append({"name": "keep-384-topk-128", "width": w(k=384, t=128)})
    plans.append({"name": "keep-256-topk-128", "width": w(k=256, t=128)})
    return plans


def run(data, epochs=25, ft_epochs=10):
    log("fashion-mlp: dense training")
    model = train_dense(data, epochs=epochs)
    xva, yva = data["val"]
    xte, yte = data["test"]
    info = {"dense_val_before_ft": _evaluate(model, xva, yva),
            "dense_test_before_ft": _evaluate(model, xte, yte)}
    log(f"fashion-mlp: dense val {info['dense_val_before_ft']:.4f} test {info['dense_test_before_ft']:.4f}")
    log("fashion-mlp: DeepLIFT ranking")
    xtr, ytr = data["train"]
    tables = mlp_tables(model, xtr, ytr)
    permute_by_importance(model, tables)
    info["prefix_val_before_ft"] = {k: _evaluate(model, xva, yva, k1=k, k2=k) for k in (512, 384, 256, 128)}
    log(f"fashion-mlp: prefix val before fine-tune {info['prefix_val_before_ft']}")
    log("fashion-mlp: sandwich fine-tuning")
    sandwich_finetune(model, data, epochs=ft_epochs)
    log("fashion-mlp: DeepLIFT tables on final weights (order kept)")
    tables = mlp_tables(model, xtr, ytr)
    model.eval()
    weights = {k: v.detach().clone().float().contiguous() for k, v in model.state_dict().items()}
    for k, v in tables.items():
        weights["importance." + k] = v.contiguous()
    return {"model": model, "weights": weights, "network": network_config(),
            "plans": candidate_plans(), "input_dims": [784], "info": info,
            "onnx_module": model, "onnx_example": torch.zeros(2, 784)}
