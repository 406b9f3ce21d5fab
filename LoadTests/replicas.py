#!/usr/bin/env python3
"""Replicas on one machine, as on a cluster: N `zenith serve` processes behind nghttpx (Debian's
nghttp2-proxy, HTTP/2 to each backend, as a Kubernetes Service would spread connections),
`zenith-load` through the proxy, and `sloctl` setting targets on every replica at once through
$ZENITH_OPERATOR_ENDPOINTS and printing one status table for all of them.

    .venv/bin/python LoadTests/replicas.py [--model fashion-cnn] [--replicas 1,2] [--duration 10]
                                           [--repeats 3] [--out LoadTests/reports/replicas]

For each replica count it measures the dense capacity through the proxy (closed loop, 8 images a
request; the replicas run --dense-only with one executor worker each, replica i pinned to core
i mod cores), then restarts the replicas with SLO control, sets a target on all of them with one
sloctl call, drives them at the measured 1-replica capacity for a while and keeps
`sloctl status`'s combined table. Every listener binds port 0 (the replicas announce theirs;
nghttpx gets an already-bound socket, as it does when it reloads itself).
Writes report.md and report.json in --out.
"""
import argparse
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = ROOT / ".build/release"


def start_replica(index, cores, extra):
    cmd = ["taskset", "-c", str(index % cores), str(BIN / "zenith"), "serve", "--host", "127.0.0.1", "--port", "0",
           "--operator-port", "0", "--workers", "1", "--repository", str(ROOT / "Models"),
           "--profiles", str(ROOT / "Profiles"), *extra]
    process = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    data = operator = None
    deadline = time.monotonic() + 180
    while (data is None or operator is None) and time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        if m := re.search(r"serving .* on http://([\d.]+:\d+)", line):
            data = m.group(1)
        if m := re.search(r"operator API on http://([\d.]+:\d+)", line):
            operator = m.group(1)
    if data is None or operator is None:
        process.kill()
        sys.exit(f"replica {index} did not start")
    return process, data, operator


def start_proxy(backends):
    """nghttpx on an inherited, already-bound socket; returns (process, "127.0.0.1:PORT")."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(1024)
    port = sock.getsockname()[1]
    os.set_inheritable(sock.fileno(), True)
    cmd = ["nghttpx", "--conf=/dev/null", "--errorlog-file=/dev/null", "--accesslog-file=/dev/null",
           f"--frontend=127.0.0.1,{port};no-tls", "--workers=1", "--backend-keep-alive-timeout=60s"]
    cmd += [f"--backend=127.0.0.1,{b.split(':')[1]};;proto=h2" for b in backends]
    env = dict(os.environ, NGHTTPX_ACCEPT_1=f"tcp,{sock.fileno()}")
    process = subprocess.Popen(cmd, env=env, pass_fds=[sock.fileno()], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    sock.close()   # nghttpx holds its own copy
    return process, f"127.0.0.1:{port}"


def stop(processes):
    for p in processes:
        p.terminate()
    for p in processes:
        try:
            p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            p.kill()


def capacity(endpoint, model, duration, shape):
    out = ROOT / ".build" / f"replicas-capacity-{os.getpid()}.json"
    subprocess.run([str(BIN / "zenith-load"), "capacity", "--endpoint", f"http://{endpoint}", "--model", model,
                    "--images-per-request", "8", "--concurrency", "48", "--duration", str(duration),
                    *(["--input-shape", shape] if shape else []), "--json", str(out)],
                   check=True, stdout=subprocess.DEVNULL)
    return json.loads(out.read_text())["requests_per_second"]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="fashion-cnn")
    ap.add_argument("--replicas", default="1,2")
    ap.add_argument("--duration", type=float, default=10)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--latency-ms", type=float, default=20)
    ap.add_argument("--out", default=str(ROOT / "LoadTests/reports/replicas"))
    a = ap.parse_args()
    cores = os.cpu_count() or 1
    counts = [int(c) for c in a.replicas.split(",")]
    config = json.loads((ROOT / "Models" / a.model / "config.json").read_text())
    shape = ",".join(map(str, config["inputs"][0]["dims"]))
    results = {"model": a.model, "cores": cores, "images_per_request": 8, "duration_s": a.duration, "runs": []}
    for n in counts:
        rates = []
        for _ in range(a.repeats):
            replicas = [start_replica(i, cores, ["--dense-only"]) for i in range(n)]
            proxy, endpoint = start_proxy([r[1] for r in replicas])
            try:
                rates.append(capacity(endpoint, a.model, a.duration, shape))
            finally:
                stop([proxy] + [r[0] for r in replicas])
        print(f"{n} replica(s): dense capacity through nghttpx {statistics.median(rates):.1f} req/s "
              f"(runs {', '.join(f'{r:.1f}' for r in rates)})", file=sys.stderr)
        results["runs"].append({"replicas": n, "capacity_rps": rates})

    # SLO control on every replica, one sloctl call for all, load through the proxy, one status table.
    n = max(counts)
    replicas = [start_replica(i, cores, []) for i in range(n)]
    proxy, endpoint = start_proxy([r[1] for r in replicas])
    env = dict(os.environ, ZENITH_OPERATOR_ENDPOINTS=",".join(f"http://{r[2]}" for r in replicas))
    try:
        subprocess.run([str(BIN / "sloctl"), "set-target", a.model, "--latency-ms", str(a.latency_ms)],
                       env=env, check=True, stdout=subprocess.DEVNULL)
        capacity(endpoint, a.model, a.duration, shape)   # closed loop through the proxy: every replica busy
        status = subprocess.run([str(BIN / "sloctl"), "status"], env=env, check=True, capture_output=True,
                                text=True).stdout
    finally:
        stop([proxy] + [r[0] for r in replicas])
    results["status_after_load"] = status
    print(status, file=sys.stderr)

    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.json").write_text(json.dumps(results, indent=2) + "\n")
    base = statistics.median(results["runs"][0]["capacity_rps"])
    lines = [f"# Replicas behind nghttpx: {a.model}, {cores} cores", "",
             f"`.venv/bin/python LoadTests/replicas.py --model {a.model} --replicas {a.replicas} "
             f"--duration {a.duration:g} --repeats {a.repeats}`: dense capacity through the proxy, closed loop, "
             "8 images a request, each replica one executor worker pinned to its own core; the load "
             "generator and nghttpx run on the same cores, so with as many replicas as cores the "
             "scaling is below linear by their share.", "",
             "| replicas | capacity req/s (median) | runs | vs 1 replica |", "|---|---|---|---|"]
    for run in results["runs"]:
        med = statistics.median(run["capacity_rps"])
        lines.append(f"| {run['replicas']} | {med:.1f} | {', '.join(f'{r:.1f}' for r in run['capacity_rps'])} | "
                     f"{med / base:.2f}× |")
    lines += ["", f"`sloctl set-target {a.model} --latency-ms {a.latency_ms:g}` with ZENITH_OPERATOR_ENDPOINTS naming "
              f"all {n} replicas, then `sloctl status` after a closed-loop run through the proxy:", "", "```",
              status.rstrip(), "```", ""]
    (out / "report.md").write_text("\n".join(lines))
    print(f"wrote {out}/report.md", file=sys.stderr)


if __name__ == "__main__":
    main()
