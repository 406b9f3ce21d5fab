"""The ONNX importer's fuzz corpus (Tests/Fuzz/corpus/onnx-import, docs/FUZZING.md): every seed
imports, and every regression case (an input the fuzzer once crashed the importer with) is
refused with UnsupportedModelError, as any malformed model must be."""
from pathlib import Path

import pytest

from conftest import import_onnx
from zenith_prepare import UnsupportedModelError

CORPUS = Path(__file__).resolve().parents[3] / "Tests" / "Fuzz" / "corpus" / "onnx-import"


@pytest.mark.parametrize("path", sorted(CORPUS.glob("seed-*")), ids=lambda p: p.name)
def test_seed_imports(path):
    model = import_onnx(path.read_bytes())
    assert model.graph["nodes"]


@pytest.mark.parametrize("path", sorted(CORPUS.glob("regression-*")), ids=lambda p: p.name)
def test_regression_case_is_refused(path):
    with pytest.raises(UnsupportedModelError):
        import_onnx(path.read_bytes())
