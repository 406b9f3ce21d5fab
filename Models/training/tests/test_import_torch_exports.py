"""Small torch modules exported with torch.onnx.export (classic and dynamo): the imported graph
run by graph_ref matches ONNX Runtime."""
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from conftest import assert_matches_ort


def _randomize_bn(module):
    g = torch.Generator().manual_seed(0)
    for m in module.modules():
        if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            n = m.num_features
            m.running_mean.copy_(torch.rand(n, generator=g) - 0.5)
            m.running_var.copy_(torch.rand(n, generator=g) + 0.5)
            m.weight.data.copy_(torch.rand(n, generator=g) + 0.5)
            m.bias.data.copy_(torch.rand(n, generator=g) - 0.5)
    return module


class ConvZoo(nn.Module):
    """groups, depthwise, stride, dilation, per-axis and asymmetric padding, BN, relu6,
    hardswish, pools with padding, avgpool count_include_pad both ways."""

    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(3, 8, 3, stride=2, padding=(1, 2), dilation=(1, 2), bias=False)
        self.b1 = nn.BatchNorm2d(8)
        self.dw = nn.Conv2d(8, 8, 3, padding=1, groups=8)
        self.b2 = nn.BatchNorm2d(8)
        self.g2 = nn.Conv2d(8, 12, 1, groups=2)
        self.b3 = nn.BatchNorm2d(12)
        self.pool = nn.MaxPool2d(3, stride=2, padding=1)
        self.avg_in = nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=True)
        self.avg_ex = nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False)
        self.c4 = nn.Conv2d(12, 6, 3)
        self.fc = nn.Linear(6 * 3 * 3, 5)

    def forward(self, x):
        x = F.relu(self.b1(self.c1(x)))
        x = F.relu6(self.b2(self.dw(x)))
        x = F.hardswish(self.b3(self.g2(x)))
        x = self.pool(x)
        x = self.avg_in(x) + self.avg_ex(x)
        x = self.c4(F.pad(x, (0, 1, 1, 0)))  # asymmetric padding through a Pad node
        return self.fc(torch.flatten(x, 1))


class ResSEConcat(nn.Module):
    """residual add, squeeze-and-excitation mul broadcast (scale * input), concat, view."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(2, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU())
        self.body = nn.Sequential(nn.Conv2d(8, 8, 3, padding=1), nn.BatchNorm2d(8))
        self.se1 = nn.Conv2d(8, 4, 1)
        self.se2 = nn.Conv2d(4, 8, 1)
        self.side = nn.Conv2d(8, 4, 1)
        self.fc = nn.Linear(12 * 3 * 3, 7)

    def forward(self, x):
        x = self.stem(x)
        y = self.body(x)
        s = F.hardsigmoid(self.se2(F.relu(self.se1(F.adaptive_avg_pool2d(y, 1)))))
        y = F.relu(s * y + x)
        z = torch.cat([y, torch.sigmoid(self.side(x))], dim=1)
        z = F.max_pool2d(z, 2)
        return self.fc(z.view(z.size(0), -1))


class MLP(nn.Module):
    """Linear + BatchNorm1d, x @ W + b, clamp(0, 6), softmax."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(20, 16)
        self.bn = nn.BatchNorm1d(16)
        self.w = nn.Parameter(torch.randn(16, 10) * 0.3)
        self.b = nn.Parameter(torch.randn(10))
        self.fc2 = nn.Linear(10, 4, bias=False)

    def forward(self, x):
        h = F.relu(self.bn(self.fc1(x)))
        h = torch.clamp(h @ self.w + self.b, 0, 6)
        return torch.softmax(self.fc2(h), dim=-1)


CASES = [(ConvZoo, (1, 3, 15, 16)), (ResSEConcat, (1, 2, 6, 6)), (MLP, (1, 20))]


@pytest.mark.parametrize("dynamo", [False, True], ids=["classic", "dynamo"])
@pytest.mark.parametrize("cls,shape", CASES, ids=[c.__name__ for c, _ in CASES])
def test_torch_export_matches_ort(cls, shape, dynamo, tmp_onnx):
    torch.manual_seed(0)
    module = _randomize_bn(cls()).eval()
    path = tmp_onnx(module, torch.randn(*shape), dynamo)
    m = assert_matches_ort(path)
    ops = [n["op"] for n in m.graph["nodes"]]
    assert "batchnorm" not in ops
    if cls is ConvZoo:
        assert ops.count("conv") == 4  # every BN folded, the Pad absorbed
        assert [n.get("activation") for n in m.graph["nodes"] if n["op"] == "conv"][:3] == \
            ["relu", "relu6", "hardswish"]
    if cls is MLP:
        assert [(n["op"], n.get("activation")) for n in m.graph["nodes"]] == \
            [("gemm", "relu"), ("gemm", "relu6"), ("gemm", None), ("softmax", None)]
