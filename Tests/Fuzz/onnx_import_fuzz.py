"""Fuzz target of the ONNX importer (Models/training/zenith_prepare/onnx_import.py), for atheris.

The importer's contract: any model it cannot express is refused with `UnsupportedModelError`
naming the node and op; anything else it raises (or a hang, or unbounded memory) is a finding.
Inputs are serialized ONNX models, seeded by Tests/Fuzz/corpus/onnx-import (small classifiers,
one per family of supported ops). Half of the mutations are libFuzzer's, on the bytes; the other
half parse the model and change one field the importer reads (an op type, an attribute, a dim,
an edge, a node's place), so that most mutants still parse and reach the translation of nodes.

Run through scripts/fuzz.sh (which makes the .venv-fuzz environment); arguments are libFuzzer's.
"""
import os
import random
import sys

import atheris

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "Models", "training"))

with atheris.instrument_imports(include=["zenith_prepare"]):
    import onnx
    from onnx import helper

    from zenith_prepare.errors import UnsupportedModelError
    from zenith_prepare.onnx_import import _FOLDABLE, SUPPORTED_OPS, import_onnx

OPS = sorted(set(SUPPORTED_OPS) | _FOLDABLE | {"LSTM", "Resize", "Gather"})
INTS = [-(2 ** 62), -3, -1, 0, 1, 2, 3, 7, 2 ** 31, 2 ** 62]


def test_one_input(data):
    try:
        import_onnx(data)
    except UnsupportedModelError:
        pass


def mutate_model(model, rng):
    g = model.graph
    nodes = list(g.node)
    choice = rng.randrange(7)
    if choice == 0 and nodes:
        rng.choice(nodes).op_type = rng.choice(OPS)
    elif choice == 1 and nodes:
        node = rng.choice(nodes)
        attributes = list(node.attribute)
        if attributes and rng.random() < 0.7:
            a = rng.choice(attributes)
            if a.type == onnx.AttributeProto.INT:
                a.i = rng.choice(INTS)
            elif a.type == onnx.AttributeProto.FLOAT:
                a.f = rng.choice([0.0, -1.0, 1e-9, 1e30, float("nan")])
            elif a.type == onnx.AttributeProto.INTS and a.ints:
                a.ints[rng.randrange(len(a.ints))] = rng.choice(INTS)
            elif a.type == onnx.AttributeProto.INTS:
                a.ints.append(rng.choice(INTS))
        else:
            name = rng.choice(["axis", "group", "pads", "strides", "kernel_shape", "dilations", "transA",
                               "transB", "keepdims", "to", "mode", "auto_pad", "ceil_mode", "epsilon"])
            value = rng.choice([rng.choice(INTS), [rng.choice(INTS)] * rng.randrange(1, 5), "SAME_UPPER"])
            node.attribute.append(helper.make_attribute(name, value))
    elif choice == 2:
        tensors = list(g.initializer)
        dims = [d for i in g.input for d in i.type.tensor_type.shape.dim]
        if tensors and rng.random() < 0.5:
            t = rng.choice(tensors)
            if t.dims:
                t.dims[rng.randrange(len(t.dims))] = rng.choice(INTS[2:8])
            else:
                t.dims.append(1)
        elif dims:
            rng.choice(dims).dim_value = rng.choice([0, 1, 2, 3, 5, 2 ** 20])
    elif choice == 3 and nodes:
        names = [i.name for i in g.input] + [t.name for t in g.initializer] + [o for n in nodes for o in n.output]
        node = rng.choice(nodes)
        if node.input and rng.random() < 0.7:
            node.input[rng.randrange(len(node.input))] = rng.choice(names + [""])
        else:
            node.input.append(rng.choice(names))
    elif choice == 4 and len(nodes) > 1:
        i, j = rng.randrange(len(nodes)), rng.randrange(len(nodes))
        nodes[i], nodes[j] = nodes[j], nodes[i]
        del g.node[:]
        g.node.extend(nodes)
    elif choice == 5 and nodes:
        if rng.random() < 0.5:
            del g.node[rng.randrange(len(nodes))]
        else:
            copy = g.node.add()
            copy.CopyFrom(rng.choice(nodes))
    else:
        model.opset_import[0].version = rng.choice([1, 12, 13, 17, 21, 99])
    return model


def custom_mutator(data, max_size, seed):
    rng = random.Random(seed)
    if rng.random() < 0.5:
        return atheris.Mutate(data, max_size)
    try:
        model = onnx.load_from_string(data)
        mutated = mutate_model(model, rng).SerializeToString()
    except Exception:  # not a model (any more), or a field the mutation cannot set
        return atheris.Mutate(data, max_size)
    return mutated if len(mutated) <= max_size else atheris.Mutate(data, max_size)


if __name__ == "__main__":
    atheris.Setup(sys.argv, test_one_input, custom_mutator=custom_mutator)
    atheris.Fuzz()
