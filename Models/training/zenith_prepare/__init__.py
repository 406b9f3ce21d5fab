"""Bring your own model: ONNX classifier -> Zenith model folder (Models/FORMAT.md).

Modules: `onnx_import` (ONNX -> graph + weights), `graph_ref` (PyTorch reference interpreter of
the graph format and its plans), `golden` (golden tensors), `writer` (atomic model folder).
"""
from .errors import UnsupportedModelError

__all__ = ["UnsupportedModelError"]
