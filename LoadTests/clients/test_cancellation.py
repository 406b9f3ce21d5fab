"""Clients that leave cost no compute: 1,000 queued inference requests whose HTTP/2 streams are
reset (or 200 whose HTTP/1.1 connections are closed) are withdrawn before the executor runs them,
and a request sent after them is served without waiting behind them.

The server runs resnet18-fashion (the heaviest model here, ~2 ms a sample) dense-only, first
come first served, on one worker, so every request that is not withdrawn is computed: the
executor's sample counter (`zenith_plan_samples_total`) tells how many were.

Each request is sent whole but for its last piece (HTTP/2: the END_STREAM flag; HTTP/1.1: the
body's last byte); then all the last pieces go out, and once the server's gauges show every
request admitted (queued, in flight or done), the clients leave. The worker starts on the first
request as soon as it arrives, so how many it computed before the clients left depends on the
machine's speed; what the test judges is what it computed *after*: without cancellation every
sample queued at that moment would still be computed, with it at most those already in flight
and the few started while the resets travel.
"""
import json
import re
import socket
import time
import urllib.request

import pytest

from conftest import INPUT, ROOT, batch_of, h2_connect, h2_send_body, zenith_server

MODEL = "resnet18-fashion"
REQUESTS = 1000
STREAMS_PER_CONNECTION = 100     # under the server's 128 concurrent streams
# Of the samples queued when the clients leave, the share the worker may still compute (those it
# starts before the server has read the resets): a generous bound, where without cancellation
# the share is all of them.
MAX_SHARE_COMPUTED_AFTER = 0.5
# The fewest samples that must be queued when the clients leave for the test to show anything:
# the worker computes ~500 a second, the admission of all the requests takes well under that.
MIN_QUEUED = 100


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    repository = tmp_path_factory.mktemp("repository")
    (repository / MODEL).symlink_to(ROOT / "Models" / MODEL)
    with zenith_server(repository, "--workers", "1", "--dense-only", "--max-queue-depth", "4096") as url:
        yield url


@pytest.fixture(scope="module")
def body(test_set):
    x, _ = batch_of(test_set, MODEL, 0, 1)
    return json.dumps({"inputs": [{"name": INPUT[MODEL], "datatype": "FP32", "shape": list(x.shape),
                                   "data": [round(float(v), 4) for v in x.ravel()]}]}).encode()


def samples(url):
    """(queued, in flight, computed so far) samples of the model, from one read of /metrics."""
    text = urllib.request.urlopen(f"http://{url}/metrics", timeout=30).read().decode()
    values = []
    for name in ("zenith_queued_samples", "zenith_inflight_samples"):
        m = re.search(r'^' + name + r'\{model="' + re.escape(MODEL) + r'"\} (\S+)$', text, re.M)
        values.append(float(m.group(1)))
    computed = sum(float(v) for v in re.findall(
        r'^zenith_plan_samples_total\{model="' + re.escape(MODEL) + r'"[^}]*\} (\S+)$', text, re.M))
    return values[0], values[1], computed


def infer_now(url, body):
    """A live request after the abandoned ones: (status, server-reported queue microseconds)."""
    req = urllib.request.Request(f"http://{url}/v2/models/{MODEL}/infer", data=body,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as r:
        answer = json.loads(r.read())
        return r.status, answer["parameters"]["queue_us"]


def wait_until_idle(url):
    """Polls the server's gauges until nothing of the model is queued or in flight."""
    deadline = time.monotonic() + 120
    while (occupancy := samples(url)[:2]) != (0.0, 0.0):
        assert time.monotonic() < deadline, f"still queued / in flight: {occupancy}"
        time.sleep(0.05)


def wait_until_admitted(url, count, start):
    """Polls until all `count` samples sent since the counter read `start` are queued, in flight
    or computed; returns that last reading."""
    deadline = time.monotonic() + 120
    while True:
        queued, inflight, computed = samples(url)
        if queued + inflight + computed - start >= count:
            return queued, inflight, computed
        assert time.monotonic() < deadline, "the requests were not all admitted"
        time.sleep(0.01)


def judge_computed_after_leaving(url, count, admitted):
    """Waits for the server to go idle and checks that of the samples queued when the clients
    left, the worker computed few (see `MAX_SHARE_COMPUTED_AFTER`)."""
    queued, inflight, computed_before = admitted
    running = inflight - queued     # the in-flight gauge counts the queued samples too
    wait_until_idle(url)
    computed_after = samples(url)[2] - computed_before
    print(f"{count} requests: {queued:.0f} queued and {running:.0f} running when the clients left, "
          f"{computed_after:.0f} samples computed after")
    assert queued >= MIN_QUEUED, f"only {queued:.0f} samples still queued when the clients left"
    assert computed_after <= running + MAX_SHARE_COMPUTED_AFTER * queued


def _send_all(sock, conn):
    data = conn.data_to_send()
    if data:
        sock.sendall(data)


def test_reset_streams_cost_no_compute(server, body):
    start = samples(server)[2]
    connections = []
    for _ in range(REQUESTS // STREAMS_PER_CONNECTION):
        sock, conn = h2_connect(server)
        streams = []
        for _ in range(STREAMS_PER_CONNECTION):
            stream = conn.get_next_available_stream_id()
            conn.send_headers(stream, [(":method", "POST"), (":scheme", "http"), (":authority", server),
                                       (":path", f"/v2/models/{MODEL}/infer"),
                                       ("content-type", "application/json"),
                                       ("zenith-latency-target-ms", "600000")])
            h2_send_body(sock, conn, stream, body)
            streams.append(stream)
        connections.append((sock, conn, streams))
    for sock, conn, streams in connections:
        for stream in streams:
            conn.end_stream(stream)
        _send_all(sock, conn)
    admitted = wait_until_admitted(server, REQUESTS, start)
    for sock, conn, streams in connections:
        for stream in streams:
            conn.reset_stream(stream, error_code=8)   # CANCEL
        _send_all(sock, conn)
    judge_computed_after_leaving(server, REQUESTS, admitted)

    status, queue_us = infer_now(server, body)
    assert status == 200
    # Behind 1,000 samples of ~2 ms it would wait seconds; withdrawn, it waits for nothing.
    assert queue_us < 1_000_000, f"queued {queue_us} us"
    for sock, _, _ in connections:
        sock.close()


def test_closed_http1_connections_cost_no_compute(server, body):
    start = samples(server)[2]
    host, port = server.split(":")
    request = (f"POST /v2/models/{MODEL}/infer HTTP/1.1\r\nHost: {server}\r\nContent-Type: application/json\r\n"
               f"zenith-latency-target-ms: 600000\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body
    sockets = []
    count = 200     # within the server's connection limit, with room for the rest of the suite
    for _ in range(count):
        sock = socket.create_connection((host, int(port)))
        sock.sendall(request[:-1])
        sockets.append(sock)
    for sock in sockets:
        sock.sendall(request[-1:])
    admitted = wait_until_admitted(server, count, start)
    for sock in sockets:
        sock.close()
    judge_computed_after_leaving(server, count, admitted)
    status, queue_us = infer_now(server, body)
    assert status == 200 and queue_us < 1_000_000
