"""Fuzz target of the ONNX importer (Models/training/zenith_prepare/onnx_import.py), for atheris.

The importer's contract: any model it cannot express is refused with `UnsupportedModelError`
naming the node and op; anything else it raises (or a hang, or unbounded memory) is a finding.
Inputs are serialized ONNX models; libFuzzer mutates the protobuf bytes of the seeds in
Tests/Fuzz/corpus/onnx-import (small classifiers, one per family of supported ops).

Run through scripts/fuzz.sh (which makes the .venv-fuzz environment); arguments are libFuzzer's.
"""
import os
import sys

import atheris

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "Models", "training"))

with atheris.instrument_imports(include=["zenith_prepare"]):
    from zenith_prepare.errors import UnsupportedModelError
    from zenith_prepare.onnx_import import import_onnx


def test_one_input(data):
    try:
        import_onnx(data)
    except UnsupportedModelError:
        pass


if __name__ == "__main__":
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()
