"""Frontend speed, side by side in one run (issue 3):

1. h2load against `zenith serve`'s GET /v2/health/ready and against nghttpd serving a small
   file, with the same h2load settings; prints both requests/s and the ratio.
2. Server-side overhead of batch-1 infers, REST binary (tritonclient.http) beside gRPC
   (tritonclient.grpc, the same port): total_us − compute_us from the response parameters (and,
   separately, minus queue_us, since the controller's batching delay is queue time by design),
   over real test images, the two protocols alternating.
3. The server's CPU time per request of the same batch-1 infer sent by h2load as a REST binary
   body and as a gRPC-framed ModelInfer (`-d file -H 'content-type: application/grpc'`), one
   after the other on the same server: req/s, CPU µs per request and their ratio, gRPC to REST.

usage: .venv/bin/python LoadTests/bench_frontend.py [--requests 100000] [--infers 2000] [--h2load-infers 20000]
(needs `scripts/setup.sh --python`, `swift build -c release --product zenith`, h2load from Debian's
nghttp2-client and nghttpd from nghttp2-server; Linux: nghttpd's port is read from /proc)

Both servers bind port 0, so no port is picked free and then released for someone else to take:
zenith prints the port it got ("... on http://HOST:PORT"); nghttpd prints nothing, so its
listening socket is looked up among the process's open files in /proc.
"""
import argparse
import gzip
import os
import queue
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

import grpc
import numpy as np
import tritonclient.grpc as grpcclient
import tritonclient.http as http
from tritonclient.grpc import service_pb2

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def announced_port(server: subprocess.Popen, seconds: float = 300) -> int:
    """The port `zenith serve --port 0` reports on stdout once it listens (models load first).

    A thread reads the server's stdout to its end, so the pipe never fills while it runs."""
    lines: "queue.Queue[str | None]" = queue.Queue()

    def pump() -> None:
        for line in server.stdout:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        try:
            line = lines.get(timeout=left)
        except queue.Empty:
            break
        if line is None:
            sys.exit(f"zenith exited (status {server.wait()}) before it listened")
        if match := re.search(r" on http://[^\s]+:(\d+)$", line.strip()):
            # The pump keeps draining; later lines are not needed.
            return int(match.group(1))
    sys.exit(f"zenith did not report its port within {seconds:.0f} s")


def listening_port(server: subprocess.Popen, seconds: float = 30) -> int:
    """The IPv4 TCP port a child process listens on, from its socket inodes in /proc (Linux)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"{server.args[0]} exited (status {server.returncode}) before it listened")
        inodes = set()
        fds = f"/proc/{server.pid}/fd"
        for fd in os.listdir(fds):
            try:
                target = os.readlink(os.path.join(fds, fd))
            except OSError:
                continue  # closed since listed
            if target.startswith("socket:["):
                inodes.add(target[len("socket:["):-1])
        with open("/proc/net/tcp") as table:
            next(table)  # the header
            for row in table:
                # sl local_address rem_address st ... inode: local is HEXIP:HEXPORT, st 0A is LISTEN.
                fields = row.split()
                if fields[3] == "0A" and fields[9] in inodes:
                    return int(fields[1].split(":")[1], 16)
        time.sleep(0.05)
    sys.exit(f"{server.args[0]} did not listen within {seconds:.0f} s")


def h2load(url: str, requests: int, clients: int, streams: int, extra: tuple = ()) -> float:
    out = subprocess.run(
        ["h2load", "-n", str(requests), "-c", str(clients), "-m", str(streams), *extra, url],
        check=True, capture_output=True, text=True).stdout
    if not re.search(rf"{requests} succeeded", out) or not re.search(rf"status codes: {requests} 2xx", out):
        sys.exit(f"h2load against {url} had failures:\n{out}")
    return float(re.search(r"finished in [\d.]+\w+, ([\d.]+) req/s", out).group(1))


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far, from /proc (Linux)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def infer_bodies(image: np.ndarray, directory: str) -> tuple:
    """The same batch-1 fashion-mlp infer as a REST binary body and as a gRPC-framed ModelInfer,
    written to files for h2load -d; returns their paths and the REST JSON header's length."""
    header = ('{"inputs":[{"name":"input","shape":[1,784],"datatype":"FP32","parameters":{"binary_data_size":3136}}],'
              '"outputs":[{"name":"logits","parameters":{"binary_data":true}}]}').encode()
    rest = os.path.join(directory, "rest.bin")
    with open(rest, "wb") as f:
        f.write(header + image.astype("<f4").tobytes())
    message = service_pb2.ModelInferRequest(model_name="fashion-mlp")
    message.inputs.add(name="input", datatype="FP32", shape=[1, 784])
    message.raw_input_contents.append(image.astype("<f4").tobytes())
    payload = message.SerializeToString()
    grpc_body = os.path.join(directory, "grpc.bin")
    with open(grpc_body, "wb") as f:
        f.write(b"\0" + len(payload).to_bytes(4, "big") + payload)
    return rest, grpc_body, len(header), payload


def test_images(count: int) -> np.ndarray:
    with gzip.open("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz") as f:
        pixels = np.frombuffer(f.read(), dtype=np.uint8, offset=16)
    return (pixels.reshape(-1, 784)[:count] / 255).astype(np.float32)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--streams", type=int, default=16)
    parser.add_argument("--infers", type=int, default=2000)
    parser.add_argument("--h2load-infers", type=int, default=20_000)
    args = parser.parse_args()

    docroot = tempfile.mkdtemp()
    with open(os.path.join(docroot, "ready"), "w") as f:
        f.write("{}")
    servers = [
        subprocess.Popen([os.path.join(ROOT, ".build/release/zenith"), "serve", "--host", "127.0.0.1", "--port", "0",
                          "--no-operator", "--log-level", "warning"], cwd=ROOT, stdout=subprocess.PIPE, text=True),
        subprocess.Popen(["nghttpd", "--no-tls", "--address", "127.0.0.1", "-d", docroot, "0"],
                         stdout=subprocess.DEVNULL),
    ]
    try:
        zenith_port = announced_port(servers[0])
        nghttpd_port = listening_port(servers[1])
        settings = dict(requests=args.requests, clients=args.clients, streams=args.streams)
        # Alternate, twice each, so that machine noise lands on both.
        zenith, nghttpd = [], []
        for _ in range(2):
            zenith.append(h2load(f"http://127.0.0.1:{zenith_port}/v2/health/ready", **settings))
            nghttpd.append(h2load(f"http://127.0.0.1:{nghttpd_port}/ready", **settings))
        z, n = max(zenith), max(nghttpd)
        print(f"h2load -n {args.requests} -c {args.clients} -m {args.streams}: zenith GET /v2/health/ready "
              f"{z:,.0f} req/s, nghttpd small file {n:,.0f} req/s, ratio {z / n:.2f}")

        address = f"127.0.0.1:{zenith_port}"
        client = http.InferenceServerClient(address)
        grpc_client = grpcclient.InferenceServerClient(address)
        images = test_images(args.infers)
        overhead = {"REST binary": [], "gRPC": []}
        outside_queue = {"REST binary": [], "gRPC": []}

        def record(protocol, parameters):
            overhead[protocol].append(parameters["total_us"] - parameters["compute_us"])
            outside_queue[protocol].append(parameters["total_us"] - parameters["compute_us"] - parameters["queue_us"])

        for image in images:
            tensor = http.InferInput("input", [1, 784], "FP32")
            tensor.set_data_from_numpy(image.reshape(1, 784), binary_data=True)
            record("REST binary", client.infer("fashion-mlp", [tensor]).get_response()["parameters"])
            tensor = grpcclient.InferInput("input", [1, 784], "FP32")
            tensor.set_data_from_numpy(image.reshape(1, 784))
            response = grpc_client.infer("fashion-mlp", [tensor]).get_response()
            record("gRPC", {key: response.parameters[key].double_param for key in ("total_us", "compute_us", "queue_us")})
        q = statistics.quantiles
        for protocol, values in overhead.items():
            print(f"{protocol} batch-1 infers on fashion-mlp ({args.infers}): server-side overhead (total − compute) "
                  f"p50 {statistics.median(values):.1f} µs, p99 {q(values, n=100)[98]:.1f} µs; "
                  f"outside queue and compute p50 {statistics.median(outside_queue[protocol]):.1f} µs")

        # The same infer, fixed, as fast as h2load sends it: the server's CPU per request.
        rest_body, grpc_body, header_length, payload = infer_bodies(images[0], docroot)
        check = grpc.insecure_channel(address).unary_unary(
            "/inference.GRPCInferenceService/ModelInfer", response_deserializer=service_pb2.ModelInferResponse.FromString)
        check(payload, timeout=30, metadata=[("zenith-latency-target-ms", "60000")])  # raises unless grpc-status 0
        relaxed = ("-H", "zenith-latency-target-ms: 60000")
        runs = {
            "REST binary": (f"http://{address}/v2/models/fashion-mlp/infer",
                            ("-d", rest_body, "-H", "content-type: application/octet-stream",
                             "-H", f"inference-header-content-length: {header_length}", *relaxed)),
            "gRPC": (f"http://{address}/inference.GRPCInferenceService/ModelInfer",
                     ("-d", grpc_body, "-H", "content-type: application/grpc", "-H", "te: trailers", *relaxed)),
        }
        cost = {protocol: [] for protocol in runs}
        rate = {protocol: [] for protocol in runs}
        settings = dict(requests=args.h2load_infers, clients=1, streams=8)
        for _ in range(2):
            for protocol, (url, extra) in runs.items():
                before = cpu_seconds(servers[0].pid)
                rate[protocol].append(h2load(url, extra=extra, **settings))
                cost[protocol].append((cpu_seconds(servers[0].pid) - before) / args.h2load_infers * 1e6)
        for protocol in runs:
            print(f"h2load -n {args.h2load_infers} -c 1 -m 8, batch-1 fashion-mlp infer over {protocol}: "
                  f"{max(rate[protocol]):,.0f} req/s, server CPU {min(cost[protocol]):.1f} µs/request")
        print(f"gRPC ÷ REST binary, server CPU per request: {min(cost['gRPC']) / min(cost['REST binary']):.2f}")
    finally:
        for server in servers:
            server.send_signal(signal.SIGTERM)
        for server in servers:
            server.wait(timeout=30)
        shutil.rmtree(docroot, ignore_errors=True)


if __name__ == "__main__":
    main()
