"""torchvision classifiers (random weights, 64x64) through both exporters. Slow (about a
minute): runs only with ZENITH_SLOW_TESTS=1."""
import os

import pytest
import torch

from conftest import assert_matches_ort
from zenith_prepare import UnsupportedModelError

pytestmark = pytest.mark.skipif(os.environ.get("ZENITH_SLOW_TESTS") != "1", reason="ZENITH_SLOW_TESTS=1 to run")

IMPORTED = ["resnet18", "mobilenet_v2", "mobilenet_v3_small", "squeezenet1_0", "efficientnet_b0",
            "googlenet", "densenet121"]


def build(name):
    import torchvision.models as tvm
    torch.manual_seed(0)
    kw = {"weights": None}
    if name == "googlenet":
        kw.update(aux_logits=False, init_weights=True)
    return getattr(tvm, name)(**kw).eval()


@pytest.mark.parametrize("dynamo", [False, True], ids=["classic", "dynamo"])
@pytest.mark.parametrize("name", IMPORTED)
def test_imports_and_matches_ort(name, dynamo, tmp_onnx):
    assert_matches_ort(tmp_onnx(build(name), torch.randn(1, 3, 64, 64), dynamo), n=2)


def test_shufflenet_channel_shuffle_is_refused(tmp_onnx):
    path = tmp_onnx(build("shufflenet_v2_x0_5"), torch.randn(1, 3, 64, 64), False)
    with pytest.raises(UnsupportedModelError, match=r"\(op Reshape\): the per-sample result shape \[2, 24, 8, 8\]"):
        assert_matches_ort(path)
