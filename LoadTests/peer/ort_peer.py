"""ONNX Runtime peer for `zenith bench`: runs the dense ONNX export on the same inputs, on
command, so the Swift side can interleave timings of both engines in one run.

Protocol (one line each way):
  start-up          -> "ready"
  "outputs"         -> the logits of the input batch, as a JSON list
  "run N"           -> total nanoseconds of N back-to-back inferences
  "quit"            -> exits

Inputs and outputs are bound once with I/O binding, so each timed call is one
`run_with_iobinding`: the Python call overhead is a few microseconds per inference.
"""
import argparse
import json
import sys
import time

import numpy as np
import onnxruntime as ort


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", required=True, help="path of the .onnx file")
    parser.add_argument("--input", required=True, help="raw little-endian float32 input batch")
    parser.add_argument("--shape", required=True, help="comma-separated input shape, batch first")
    args = parser.parse_args()

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    session = ort.InferenceSession(args.model, options, providers=["CPUExecutionProvider"])

    shape = [int(d) for d in args.shape.split(",")]
    x = np.fromfile(args.input, dtype="<f4").reshape(shape)
    input_name = session.get_inputs()[0].name
    output_name = session.get_outputs()[0].name
    binding = session.io_binding()
    binding.bind_cpu_input(input_name, x)
    binding.bind_output(output_name, "cpu")
    for _ in range(20):  # warm-up: arena allocation, kernel selection
        session.run_with_iobinding(binding)

    print("ready", flush=True)
    for line in sys.stdin:
        command = line.split()
        if not command:
            continue
        if command[0] == "outputs":
            session.run_with_iobinding(binding)
            logits = binding.copy_outputs_to_cpu()[0]
            print(json.dumps(logits.astype(float).ravel().tolist()), flush=True)
        elif command[0] == "run":
            n = int(command[1])
            run = session.run_with_iobinding
            start = time.perf_counter_ns()
            for _ in range(n):
                run(binding)
            print(time.perf_counter_ns() - start, flush=True)
        elif command[0] == "quit":
            break


if __name__ == "__main__":
    main()
