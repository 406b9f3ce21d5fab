"""Frontend speed, side by side in one run (issue 3):

1. h2load against `zenith serve`'s GET /v2/health/ready and against nghttpd serving a small
   file, with the same h2load settings; prints both requests/s and the ratio.
2. Server-side overhead of binary batch-1 infers: total_us − compute_us from the response
   parameters (and, separately, minus queue_us, since the controller's batching delay is queue
   time by design), over real test images sent with tritonclient.

usage: .venv/bin/python LoadTests/bench_frontend.py [--requests 100000] [--infers 2000]
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

import numpy as np
import tritonclient.http as http

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


def h2load(url: str, requests: int, clients: int, streams: int) -> float:
    out = subprocess.run(
        ["h2load", "-n", str(requests), "-c", str(clients), "-m", str(streams), url],
        check=True, capture_output=True, text=True).stdout
    if not re.search(rf"{requests} succeeded", out):
        sys.exit(f"h2load against {url} had failures:\n{out}")
    return float(re.search(r"finished in [\d.]+\w+, ([\d.]+) req/s", out).group(1))


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

        client = http.InferenceServerClient(f"127.0.0.1:{zenith_port}")
        images = test_images(args.infers)
        overhead, outside_queue = [], []
        for image in images:
            tensor = http.InferInput("input", [1, 784], "FP32")
            tensor.set_data_from_numpy(image.reshape(1, 784), binary_data=True)
            result = client.infer("fashion-mlp", [tensor]).get_response()["parameters"]
            overhead.append(result["total_us"] - result["compute_us"])
            outside_queue.append(result["total_us"] - result["compute_us"] - result["queue_us"])
        q = statistics.quantiles
        print(f"binary batch-1 infers on fashion-mlp ({args.infers}): server-side overhead (total − compute) "
              f"p50 {statistics.median(overhead):.1f} µs, p99 {q(overhead, n=100)[98]:.1f} µs; "
              f"outside queue and compute p50 {statistics.median(outside_queue):.1f} µs")
    finally:
        for server in servers:
            server.send_signal(signal.SIGTERM)
        for server in servers:
            server.wait(timeout=30)
        shutil.rmtree(docroot, ignore_errors=True)


if __name__ == "__main__":
    main()
