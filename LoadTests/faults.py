#!/usr/bin/env python3
"""Overload, faults and soak, from outside, against a real `zenith serve` (issue: hardening).

    .venv/bin/python LoadTests/faults.py [flood sigterm slow-clients reload soak]
                                         [--model fashion-cnn] [--soak-minutes 30] [--out DIR]

Phases (all by default, in that order; each starts its own server, ports from the kernel):
- flood: the dense capacity measured first (`zenith-load capacity`, a --dense-only server), then
  `zenith-load` at 10x it for 60 s against the SLO-controlled server (8 images a request, 10 ms,
  the headline's accuracy target), the server's resident memory sampled throughout; a probe
  client sends one ordinary request every 100 ms during the flood, and ten after it. Checks: the
  server lives, its peak RSS stays under a bound, refusals come fast and say why, admitted
  requests are >= 99% within their latency target, the requests after the flood are answered
  within their target.
- sigterm: HTTP/2 and HTTP/1.1 clients keep requests in flight; SIGTERM mid-run. Checks: every
  HTTP/2 stream the server accepted (id <= its GOAWAY's last-stream-id) is answered 200; no
  HTTP/1.1 response is cut; an HTTP/1.1 connection loses at most the one request it wrote as
  the server closed it (never read, so a client may retry it); the server exits 0.
- slow-clients: slowloris connections dripping a request head, HTTP/1.1 clients pipelining
  without reading, HTTP/2 clients granting no window, all from other loopback addresses, for
  60 s while an ordinary client opens a new connection for every request. Checks: the ordinary
  client is always served, RSS stays bounded (its latency is reported: while the non-readers'
  socket buffers fill, their pipelined requests are a flood of cheap requests and hold the
  server's core for some seconds).
- reload: requests to two models while one is unloaded and loaded again and again
  (--model-control explicit). Checks: the other model's requests all succeed; the changed
  model's are answered 200 or a clean 503/404 with a JSON reason, none cut.
- soak: 1x the dense capacity for --soak-minutes (`zenith-load`), RSS every 5 s. Checks: RSS
  growth after the first two minutes < 5%; per-minute p99 and attainment without drift (the
  last five minutes' p99 within 1.5x of the first five after warm-up).

The server runs pinned to the last core with one executor worker (`--workers 1 --idle-poll`),
the clients on the others, as scripts/headline.sh does. Writes report.json and report.md in
--out (default LoadTests/reports/faults), and zenith-load's own reports beside them.
"""
import argparse
import csv
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import h2.config
import h2.connection
import h2.events
import h2.settings

sys.path.insert(0, str(Path(__file__).resolve().parent))
from load_clients import H1Client, H2Client, http1_request, infer_body  # noqa: E402
from serving import BIN, ROOT, ZenithProcess  # noqa: E402

CORES = os.cpu_count() or 1
SERVER_CPU = str(CORES - 1)
CLIENT_CPUS = ",".join(str(c) for c in range(max(CORES - 1, 1)))
SERVER_FLAGS = ["--workers", "1", "--idle-poll"]
# Peak resident memory the flood may reach (the four committed models loaded take ~200 MB).
FLOOD_RSS_BOUND_MB = 1024


def percentile(values, q):
    if not values:
        return None
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def ms(values):
    return {k: (round(v * 1e3, 3) if v is not None else None) for k, v in
            (("p50", percentile(values, 0.5)), ("p99", percentile(values, 0.99)),
             ("max", max(values) if values else None))}


def listen_overflows():
    """The kernel's count of connections dropped because a listen queue was full (machine-wide)."""
    with open("/proc/net/netstat") as f:
        rows = [line.split() for line in f if line.startswith("TcpExt:")]
    return int(dict(zip(rows[0], rows[1]))["ListenOverflows"])


def start_server(flags=()):
    return ZenithProcess([*SERVER_FLAGS, *flags], prefix=["taskset", "-c", SERVER_CPU])


def zenith_load(*args):
    subprocess.run(["taskset", "-c", CLIENT_CPUS, str(BIN / "zenith-load"), *args], check=True,
                   stdout=subprocess.DEVNULL)


class MemorySampler(threading.Thread):
    """The server's VmRSS every `interval` seconds until `stop()`."""

    def __init__(self, server, interval):
        super().__init__(daemon=True)
        self.server, self.interval = server, interval
        self.samples = []   # (seconds since start, RSS MiB)
        self.peak_mb = 0.0
        self._stopping = threading.Event()
        self._start = time.monotonic()

    def run(self):
        while not self._stopping.is_set():
            try:
                rss, hwm = self.server.memory_kib()
            except (FileNotFoundError, ProcessLookupError, KeyError):
                return
            self.samples.append((time.monotonic() - self._start, rss / 1024))
            self.peak_mb = max(self.peak_mb, hwm / 1024)
            self._stopping.wait(self.interval)

    def stop(self):
        self._stopping.set()
        self.join()


# ---------------------------------------------------------------------------------------------
# flood

def flood(a, out):
    model = a.model
    scenario = ROOT / "LoadTests/Scenarios/faults" / f"flood-{model}.json"
    if not scenario.exists():
        raise SystemExit(f"{scenario} missing")
    spec = json.loads(scenario.read_text())
    shape = ",".join(map(str, spec["input_shape"]))
    capacity_file = out / f"capacity-{model}.json"
    dense = start_server(["--dense-only"])
    try:
        zenith_load("capacity", "--endpoint", f"http://{dense.url}", "--model", model, "--input-shape", shape,
                    "--images-per-request", str(spec["images_per_request"]), "--concurrency", "48",
                    "--duration", "20", "--json", str(capacity_file))
    finally:
        dense.stop()
    capacity = json.loads(capacity_file.read_text())["requests_per_second"]

    server = start_server()
    idle_rss = server.memory_kib()[0] / 1024
    sampler = MemorySampler(server, 0.25)
    sampler.start()
    probe_body = infer_body(model, latency_ms=spec["classes"][0]["latency_target_ms"])
    probes = []   # (seconds since start, status, latency s)
    probing = threading.Event()
    probing.set()

    def probe():
        started = time.monotonic()
        while probing.is_set():
            try:
                status, _, latency = http1_request(server.url, f"/v2/models/{model}/infer", probe_body, timeout=10)
            except OSError as e:
                status, latency = f"error: {e}", None
            probes.append((time.monotonic() - started, status, latency))
            time.sleep(0.1)   # the probe's pace

    prober = threading.Thread(target=probe, daemon=True)
    prober.start()
    run_dir = out / f"flood-{model}"
    try:
        zenith_load("run", str(scenario), "--endpoint", f"http://{server.url}", "--operator-endpoint",
                    f"http://{server.operator_url}", "--compare", "slo", "--capacity-file", str(capacity_file),
                    "--out", str(run_dir))
    finally:
        probing.clear()
        prober.join()
    alive = server.process.poll() is None
    after = []
    for _ in range(10):
        status, _, latency = http1_request(server.url, f"/v2/models/{model}/infer", probe_body, timeout=10)
        after.append((status, latency))
    sampler.stop()
    code = server.stop()

    report = json.loads((run_dir / "report.json").read_text())["runs"][0]
    refused, admitted_within, admitted, reasons = [], 0, 0, {}
    with open(run_dir / "samples.csv") as f:
        for row in csv.DictReader(f):
            if row["status"] == "200":
                admitted += 1
                admitted_within += float(row["latency_ms"]) <= float(row["latency_target_ms"])
            else:
                key = f"{row['status']} {row['reject_reason'] or '(no reason)'}"
                reasons[key] = reasons.get(key, 0) + 1
                if row["latency_ms"]:
                    refused.append(float(row["latency_ms"]) / 1e3)
    target_s = spec["classes"][0]["latency_target_ms"] / 1e3
    result = {
        "capacity_rps": capacity, "multiple": spec["rate"]["capacity_multiple"],
        "offered_rps": report["offered_rps"], "answered_rps": report["throughput_rps"],
        "sent": report["sent"], "admitted": admitted,
        "admitted_within_target": admitted_within / admitted if admitted else None,
        "attainment_of_sent": report["attainment"], "served_accuracy": report["served_accuracy"],
        "refusals": reasons, "refusal_latency_ms": ms(refused),
        "refusals_without_reason": sum(n for k, n in reasons.items() if k.endswith("(no reason)")),
        "rss_mb": {"idle": round(idle_rss, 1), "peak": round(sampler.peak_mb, 1)},
        "rss_bound_mb": FLOOD_RSS_BOUND_MB,
        "probes_during": {"sent": len(probes), "ok": sum(1 for p in probes if p[1] == 200),
                          "latency_ms": ms([p[2] for p in probes if p[2] is not None])},
        "after": {"statuses": [s for s, _ in after], "latency_ms": ms([t for _, t in after])},
        "alive_after": alive, "exit_code": code,
    }
    result["checks"] = {
        "alive": alive and code == 0,
        "peak RSS under the bound": sampler.peak_mb < FLOOD_RSS_BOUND_MB,
        "refusals answered in < 10 ms (p99) with a reason": (
            not refused or percentile(refused, 0.99) < 0.010) and result["refusals_without_reason"] == 0,
        "admitted >= 99% within target": admitted > 0 and admitted_within / admitted >= 0.99,
        "requests after the flood within target": all(s == 200 and t <= target_s for s, t in after),
    }
    return result


# ---------------------------------------------------------------------------------------------
# sigterm

def sigterm(a, out):
    model = a.model
    server = start_server()
    body = infer_body(model, latency_ms=60000)
    path = f"/v2/models/{model}/infer"
    h2_clients = [H2Client(server.url, path, body) for _ in range(4)]
    h1_clients = [H1Client(server.url, path, body) for _ in range(4)]
    for c in h2_clients + h1_clients:
        c.start()
    time.sleep(5)   # the load's duration before the signal, not a wait for an event
    signalled = time.monotonic()
    server.terminate()
    code = server.stop(timeout=60)
    exit_s = time.monotonic() - signalled
    for c in h2_clients + h1_clients:
        c.join(timeout=30)
    h2_accepted = h2_lost = h2_beyond = 0
    h2_statuses = {}
    for c in h2_clients:
        last = c.last_stream_id if c.last_stream_id is not None else max(c.streams, default=0)
        for sid, outcome in c.streams.items():
            if sid <= last:
                h2_accepted += 1
                h2_statuses[str(outcome)] = h2_statuses.get(str(outcome), 0) + 1
                h2_lost += outcome != 200
            else:
                h2_beyond += 1
    result = {
        "exit_code": code, "seconds_to_exit": round(exit_s, 3),
        "http2": {"connections": len(h2_clients), "accepted_streams": h2_accepted, "outcomes": h2_statuses,
                  "lost": h2_lost, "streams_past_goaway": h2_beyond,
                  "goaway_seen": sum(c.last_stream_id is not None for c in h2_clients),
                  "errors": [c.error for c in h2_clients if c.error]},
        "http1": {"connections": len(h1_clients), "answered": sum(c.answered for c in h1_clients),
                  "statuses": {str(k): sum(c.statuses.get(k, 0) for c in h1_clients)
                               for k in {s for c in h1_clients for s in c.statuses}},
                  "closed_before_answer": sum(c.unanswered for c in h1_clients),
                  "cut": sum(c.cut for c in h1_clients)},
    }
    result["checks"] = {
        "exits 0": code == 0,
        "every accepted HTTP/2 stream answered 200": h2_accepted > 0 and h2_lost == 0,
        "every HTTP/2 connection got GOAWAY": result["http2"]["goaway_seen"] == len(h2_clients),
        "no HTTP/1.1 response cut": result["http1"]["cut"] == 0,
        "HTTP/1.1: at most the unread request of each connection": (
            result["http1"]["closed_before_answer"] <= len(h1_clients)),
        "HTTP/1.1 answers all 200": set(result["http1"]["statuses"]) <= {"200"},
    }
    return result


# ---------------------------------------------------------------------------------------------
# slow clients

def slow_clients(a, out, seconds=60, drippers=1500, readers=40, windowless=40):
    model = a.model
    server = start_server()
    host, port = server.url.split(":")
    idle_rss = server.memory_kib()[0] / 1024
    sampler = MemorySampler(server, 0.5)
    sampler.start()
    stop = threading.Event()
    held = {"drip": 0, "drip_closed": 0, "reader": 0, "windowless": 0}
    socks = []
    lock = threading.Lock()

    def source(i):
        # Attackers come from 127.0.0.2..127.0.0.254: other clients, as far as the server can tell.
        return f"127.0.0.{2 + i % 253}"

    def connect(i):
        s = socket.socket()
        s.bind((source(i), 0))
        s.settimeout(5)
        s.connect((host, int(port)))
        return s

    def drip():
        mine = []
        for i in range(drippers):
            try:
                s = connect(i)
                s.sendall(b"P")
                mine.append(s)
            except OSError:
                pass
        with lock:
            held["drip"] = len(mine)
            socks.extend(mine)
        head = b"OST /v2/health/live HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 4000
        step = 0
        while not stop.wait(5):
            for s in list(mine):
                try:
                    s.send(head[step:step + 1])
                except OSError:
                    mine.remove(s)
                    with lock:
                        held["drip_closed"] += 1
            step += 1

    def reader(i):
        # Pipelines health checks and never reads an answer.
        try:
            s = connect(1000 + i)
            with lock:
                held["reader"] += 1
                socks.append(s)
            s.setblocking(False)
            request = b"GET /v2/health/live HTTP/1.1\r\nHost: x\r\n\r\n" * 64
            while not stop.is_set():
                try:
                    s.send(request)
                except BlockingIOError:
                    stop.wait(0.05)
                except OSError:
                    return
        except OSError:
            pass

    body = infer_body(model, latency_ms=60000)

    def no_window(i):
        # Opens infer streams while granting the server no window for the answers.
        try:
            s = connect(2000 + i)
            conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
            conn.initiate_connection()
            conn.update_settings({h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: 0})
            s.sendall(conn.data_to_send())
            with lock:
                held["windowless"] += 1
                socks.append(s)
            s.setblocking(False)
            while not stop.is_set():
                try:
                    sid = conn.get_next_available_stream_id()
                    conn.send_headers(sid, [(":method", "POST"), (":scheme", "http"), (":authority", "x"),
                                            (":path", f"/v2/models/{model}/infer"),
                                            ("content-length", str(len(body)))])
                    conn.send_data(sid, body, end_stream=True)
                    s.send(conn.data_to_send())
                except (h2.exceptions.TooManyStreamsError, h2.exceptions.FlowControlError, BlockingIOError):
                    pass
                except (OSError, h2.exceptions.ProtocolError):
                    return
                try:
                    conn.receive_data(s.recv(65536))
                except BlockingIOError:
                    pass
                except (OSError, h2.exceptions.ProtocolError):
                    return
                stop.wait(0.2)
        except (OSError, h2.exceptions.ProtocolError):
            pass

    overflows = listen_overflows()
    threads = [threading.Thread(target=drip, daemon=True)]
    threads += [threading.Thread(target=reader, args=(i,), daemon=True) for i in range(readers)]
    threads += [threading.Thread(target=no_window, args=(i,), daemon=True) for i in range(windowless)]
    for t in threads:
        t.start()
    ordinary = []   # (status or error, seconds)
    slow = []       # (seconds into the attack, what, seconds) of the ordinary requests over 100 ms
    probe_body = infer_body(model, latency_ms=60000)
    began = time.monotonic()
    ends = began + seconds
    while time.monotonic() < ends:
        sent = time.monotonic()
        try:
            status, _, latency = http1_request(server.url, f"/v2/models/{model}/infer", probe_body, timeout=30)
            ordinary.append((status, latency))
        except OSError as e:
            status, latency = f"error: {type(e).__name__}", time.monotonic() - sent
            ordinary.append((status, None))
        if status != 200 or latency > 0.1:
            slow.append((round(sent - began, 2), status, round(latency, 3)))
        time.sleep(0.05)   # the ordinary client's pace
    rss_end = server.memory_kib()[0] / 1024
    stop.set()
    for t in threads:
        t.join(timeout=10)
    for s in socks:
        s.close()
    sampler.stop()
    code = server.stop()
    ok = [t for s, t in ordinary if s == 200]
    result = {
        "seconds": seconds, "attackers": {"dripping heads": drippers, "pipelining non-readers": readers,
                                          "HTTP/2 without window": windowless},
        "connections_established": held, "listen_queue_overflows": listen_overflows() - overflows,
        "ordinary": {"requests": len(ordinary), "ok": len(ok), "latency_ms": ms(ok),
                     "failures": sorted({str(s) for s, _ in ordinary if s != 200}), "slow_or_failed": slow[:20]},
        "rss_mb": {"idle": round(idle_rss, 1), "peak": round(sampler.peak_mb, 1), "end": round(rss_end, 1)},
        "exit_code": code,
    }
    result["checks"] = {
        "every ordinary request served (none refused or dropped; 30 s timeout)": len(ok) == len(ordinary) and ordinary != [],
        "peak RSS within 256 MB of idle": sampler.peak_mb - idle_rss < 256,
        "exits 0": code == 0,
    }
    return result


# ---------------------------------------------------------------------------------------------
# reload

def reload(a, out, cycles=10, other="fashion-mlp"):
    model = a.model
    server = start_server(["--model-control", "explicit"])
    stop = threading.Event()
    outcomes = {model: {}, other: {}}
    bad_refusals = []
    lock = threading.Lock()

    def traffic(name):
        body = infer_body(name, latency_ms=60000)
        host, port = server.url.split(":")
        conn = http.client.HTTPConnection(host, int(port), timeout=60)
        while not stop.is_set():
            try:
                conn.request("POST", f"/v2/models/{name}/infer", body=body, headers={"Content-Type": "application/json"})
                response = conn.getresponse()
                data = response.read()
                key = str(response.status)
                if response.status != 200:
                    try:
                        reason = json.loads(data)["error"]
                    except (ValueError, KeyError, TypeError):
                        reason = None
                    if response.status not in (404, 503) or not reason:
                        with lock:
                            bad_refusals.append((name, response.status, data[:200].decode(errors="replace")))
            except (OSError, http.client.HTTPException) as e:
                key = f"error: {type(e).__name__}"
                conn.close()
                conn = http.client.HTTPConnection(host, int(port), timeout=60)
            with lock:
                outcomes[name][key] = outcomes[name].get(key, 0) + 1
        conn.close()

    threads = [threading.Thread(target=traffic, args=(name,), daemon=True) for name in (model, other, model, other)]
    for t in threads:
        t.start()
    control = []
    rss = [server.memory_kib()[0] / 1024]
    for _ in range(cycles):
        for action in ("unload", "load"):
            status, data, seconds = http1_request(server.url, f"/v2/repository/models/{model}/{action}", b"{}")
            control.append((action, status, round(seconds, 3)))
            time.sleep(0.5)   # traffic against each state for a while
        rss.append(server.memory_kib()[0] / 1024)
    stop.set()
    for t in threads:
        t.join(timeout=30)
    code = server.stop()
    result = {
        "cycles": cycles, "changed_model": model, "other_model": other, "outcomes": outcomes,
        "control": {"statuses": sorted({f"{a} {s}" for a, s, _ in control}),
                    "seconds_max": max(t for _, _, t in control)},
        "refusals_without_a_clean_reason": bad_refusals[:5], "rss_mb_after_each_cycle": [round(r, 1) for r in rss],
        "exit_code": code,
    }
    result["checks"] = {
        "other model: every request 200": set(outcomes[other]) == {"200"},
        "changed model: 200 or a clean 404/503": not bad_refusals and not any(
            k.startswith("error") for k in outcomes[model]),
        "every load and unload 200": all(s == 200 for _, s, _ in control),
        "exits 0": code == 0,
    }
    return result


# ---------------------------------------------------------------------------------------------
# soak

def soak(a, out):
    model = a.model
    scenario = ROOT / "LoadTests/Scenarios/faults" / f"soak-{model}.json"
    capacity_file = out / f"capacity-{model}.json"
    if not capacity_file.exists():
        raise SystemExit(f"{capacity_file} missing: run the flood phase first (it measures the capacity)")
    server = start_server()
    sampler = MemorySampler(server, 5)
    sampler.start()
    run_dir = out / f"soak-{model}"
    zenith_load("run", str(scenario), "--endpoint", f"http://{server.url}", "--operator-endpoint",
                f"http://{server.operator_url}", "--compare", "slo", "--capacity-file", str(capacity_file),
                "--duration", str(a.soak_minutes * 60), "--out", str(run_dir))
    sampler.stop()
    code = server.stop()
    minutes = {}
    with open(run_dir / "samples.csv") as f:
        for row in csv.DictReader(f):
            m = int(float(row["scheduled_s"]) // 60)
            bucket = minutes.setdefault(m, {"latencies": [], "sent": 0, "attained": 0})
            bucket["sent"] += 1
            bucket["attained"] += row["attained"] == "true"
            if row["latency_ms"]:
                bucket["latencies"].append(float(row["latency_ms"]))
    per_minute = [{"minute": m, "sent": b["sent"], "attainment": round(b["attained"] / b["sent"], 5),
                   "p99_ms": percentile(b["latencies"], 0.99)} for m, b in sorted(minutes.items())]
    warm = [r for t, r in sampler.samples if t >= 120]
    first = [p["p99_ms"] for p in per_minute[2:7]]
    last = [p["p99_ms"] for p in per_minute[-5:]]
    report = json.loads((run_dir / "report.json").read_text())["runs"][0]
    growth = (warm[-1] - warm[0]) / warm[0] if len(warm) > 1 else None
    result = {
        "minutes": a.soak_minutes, "offered_rps": report["offered_rps"], "attainment": report["attainment"],
        "served_accuracy": report["served_accuracy"], "latency_ms": report["latency_ms"],
        "rss_mb": {"after_warmup": round(warm[0], 1) if warm else None, "end": round(warm[-1], 1) if warm else None,
                   "max": round(max(warm), 1) if warm else None, "growth": growth},
        "per_minute": per_minute, "p99_first_five_ms": first, "p99_last_five_ms": last, "exit_code": code,
    }
    result["checks"] = {
        "RSS growth after warm-up < 5%": growth is not None and growth < 0.05,
        "no latency drift (median p99 of the last five minutes <= 1.5x the first five)": (
            bool(first and last) and statistics.median(last) <= 1.5 * statistics.median(first)),
        "exits 0": code == 0,
    }
    return result


# ---------------------------------------------------------------------------------------------

PHASES = {"flood": flood, "sigterm": sigterm, "slow-clients": slow_clients, "reload": reload, "soak": soak}


def markdown(results):
    lines = ["# Overload, faults and soak", "",
             f"`LoadTests/faults.py PHASE...` on {CORES} cores: the server pinned to core {SERVER_CPU} with one "
             f"executor worker (`{' '.join(SERVER_FLAGS)}`), the clients on core(s) {CLIENT_CPUS}. What each "
             "phase does and checks: the docstring of LoadTests/faults.py.", ""]
    for name, r in results.items():
        lines += [f"## {name}", ""]
        if "started" in r:
            lines += [f"Started {r['started']}, {r.get('wall_seconds', '?')} s.", ""]
        lines += [f"- {'PASS' if ok else 'FAIL'}: {check}" for check, ok in r["checks"].items()]
        lines += ["", "```json", json.dumps({k: v for k, v in r.items() if k not in ("checks", "per_minute")},
                                            indent=1), "```", ""]
        if "per_minute" in r:
            lines += ["| minute | sent | attainment | p99 ms |", "|---|---|---|---|"]
            lines += [f"| {p['minute']} | {p['sent']} | {p['attainment']:.4f} | {p['p99_ms']} |" for p in r["per_minute"]]
            lines.append("")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("phases", nargs="*", help=f"any of {', '.join(PHASES)} (default: all)")
    ap.add_argument("--model", default="fashion-cnn")
    ap.add_argument("--soak-minutes", type=float, default=30)
    ap.add_argument("--out", default=str(ROOT / "LoadTests/reports/faults"))
    a = ap.parse_args()
    unknown = set(a.phases) - set(PHASES)
    if unknown:
        ap.error(f"unknown phase(s) {', '.join(sorted(unknown))}; the phases are {', '.join(PHASES)}")
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    results = {}
    report_json = out / "report.json"
    if report_json.exists():
        results = json.loads(report_json.read_text())   # a rerun of some phases keeps the others
    for phase in a.phases or list(PHASES):
        print(f"faults: {phase} ...", file=sys.stderr, flush=True)
        started = time.monotonic()
        began = time.strftime("%Y-%m-%d %H:%M:%S %Z")
        results[phase] = PHASES[phase](a, out)
        results[phase]["started"] = began
        results[phase]["wall_seconds"] = round(time.monotonic() - started, 1)
        for check, ok in results[phase]["checks"].items():
            print(f"  {'PASS' if ok else 'FAIL'}: {check}", file=sys.stderr, flush=True)
        report_json.write_text(json.dumps(results, indent=1) + "\n")
    (out / "report.md").write_text(markdown(results))
    failed = [f"{p}: {c}" for p, r in results.items() for c, ok in r["checks"].items() if not ok]
    print(f"wrote {out}/report.md; {len(failed)} check(s) failed" + "".join(f"\n  {f}" for f in failed),
          file=sys.stderr)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
