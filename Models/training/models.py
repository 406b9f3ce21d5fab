"""PyTorch models for fashion-mlp and fashion-cnn (training-time and export-time forms)."""
import torch
import torch.nn as nn
import torch.nn.functional as F


# --------------------------------------------------------------------------- MLP
class MLP(nn.Module):
    """784 -> fc1 -> ReLU -> fc2 -> ReLU -> fc3 (10). Separate ReLU modules for Captum."""

    def __init__(self, hidden=(1024, 1024), dropout=0.25):
        super().__init__()
        h1, h2 = hidden
        self.fc1 = nn.Linear(784, h1)
        self.relu1 = nn.ReLU()
        self.drop1 = nn.Dropout(dropout)
        self.fc2 = nn.Linear(h1, h2)
        self.relu2 = nn.ReLU()
        self.drop2 = nn.Dropout(dropout)
        self.fc3 = nn.Linear(h2, 10)

    def forward(self, x):
        x = x.flatten(1)
        h = self.drop1(self.relu1(self.fc1(x)))
        h = self.drop2(self.relu2(self.fc2(h)))
        return self.fc3(h)

    def forward_width(self, x, k1, k2, t1=None, t2=None):
        """Importance-ordered prefix widths k1/k2 (neurons >= k are not computed) and optional
        dynamic top-k on each hidden layer (ties to lower index). Used by sandwich training."""
        x = x.flatten(1)
        h = F.relu(F.linear(x, self.fc1.weight[:k1], self.fc1.bias[:k1]))
        if t1 is not None and t1 < k1:
            h = h * topk_mask(h, t1)
        h = self.drop1(h)
        h = F.relu(F.linear(h, self.fc2.weight[:k2, :k1], self.fc2.bias[:k2]))
        if t2 is not None and t2 < k2:
            h = h * topk_mask(h, t2)
        h = self.drop2(h)
        return F.linear(h, self.fc3.weight[:, :k2], self.fc3.bias)


def topk_mask(h, k):
    """[N,D] -> float mask of the k largest entries per row, ties to the lower index."""
    idx = torch.sort(h.detach(), dim=1, descending=True, stable=True).indices[:, :k]
    return torch.zeros_like(h).scatter_(1, idx, 1.0)


# --------------------------------------------------------------------------- CNN
CNN_CHANNELS = [(1, 32), (32, 32), (32, 64), (64, 64), (64, 128)]
CNN_POST_BRANCH = ["conv3", "conv4", "conv5"]


class CNN(nn.Module):
    """Trunk: conv1(28x28) pool conv2(14x14) | conv3 conv4 (14x14) pool conv5 (7x7) gap fc.
    Branch after conv2: maxpool2 -> flatten -> branch_fc1 (1568->64, relu) -> branch_fc2.
    folded=False: conv without bias + BatchNorm (training form).
    folded=True: conv with bias, no BatchNorm (export form; identical ops to config.json)."""

    def __init__(self, folded=False, branch_dropout=0.2):
        super().__init__()
        self.folded = folded
        for i, (ci, co) in enumerate(CNN_CHANNELS, 1):
            setattr(self, f"conv{i}", nn.Conv2d(ci, co, 3, padding=1, bias=folded))
            if not folded:
                setattr(self, f"bn{i}", nn.BatchNorm2d(co))
            setattr(self, f"relu{i}", nn.ReLU())
        self.pool1 = nn.MaxPool2d(2, 2)
        self.pool2 = nn.MaxPool2d(2, 2)
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(128, 10)
        self.branch_pool = nn.MaxPool2d(2, 2)
        self.branch_fc1 = nn.Linear(32 * 7 * 7, 64)
        self.branch_relu = nn.ReLU()
        self.branch_drop = nn.Dropout(branch_dropout)
        self.branch_fc2 = nn.Linear(64, 10)

    def _block(self, i, h):
        h = getattr(self, f"conv{i}")(h)
        if not self.folded:
            h = getattr(self, f"bn{i}")(h)
        return getattr(self, f"relu{i}")(h)

    def stem(self, x):
        """Layers up to and including conv2 (the branch point)."""
        h = self._block(1, x)
        h = self.pool1(h)
        return self._block(2, h)

    def branch(self, h2):
        b = self.branch_pool(h2).flatten(1)
        b = self.branch_drop(self.branch_relu(self.branch_fc1(b)))
        return self.branch_fc2(b)

    def rest(self, h2, masks=None):
        """Post-branch trunk. masks: optional {layer: [N, filters] float}, applied after ReLU."""
        m = masks or {}
        h = self._block(3, h2)
        if "conv3" in m:
            h = h * m["conv3"][:, :, None, None]
        h = self._block(4, h)
        if "conv4" in m:
            h = h * m["conv4"][:, :, None, None]
        h = self.pool2(h)
        h = self._block(5, h)
        if "conv5" in m:
            h = h * m["conv5"][:, :, None, None]
        h = self.gap(h).flatten(1)
        return self.fc(h)

    def forward(self, x):
        h2 = self.stem(x)
        return self.rest(h2), self.branch(h2)


class TrunkOnly(nn.Module):
    """Dense trunk logits only (for Captum and ONNX export)."""

    def __init__(self, cnn):
        super().__init__()
        self.cnn = cnn

    def forward(self, x):
        return self.cnn.rest(self.cnn.stem(x))


@torch.no_grad()
def fold_bn(cnn):
    """Returns a folded CNN (conv weight/bias with eval-mode BatchNorm folded in)."""
    out = CNN(folded=True)
    out.load_state_dict({k: v for k, v in cnn.state_dict().items()
                         if not k.startswith("conv") and not k.startswith("bn")}, strict=False)
    for i in range(1, len(CNN_CHANNELS) + 1):
        conv, bn = getattr(cnn, f"conv{i}"), getattr(cnn, f"bn{i}")
        w = conv.weight.double()
        scale = bn.weight.double() / torch.sqrt(bn.running_var.double() + bn.eps)
        getattr(out, f"conv{i}").weight.copy_((w * scale[:, None, None, None]).float())
        getattr(out, f"conv{i}").bias.copy_((bn.bias.double() - bn.running_mean.double() * scale).float())
    return out
