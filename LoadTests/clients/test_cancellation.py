"""Clients that leave cost no compute: 1,000 queued inference requests whose HTTP/2 streams are
reset (or whose HTTP/1.1 connections are closed) are withdrawn before the executor runs them,
and a request sent after them is served without waiting behind them.

The server runs resnet18-fashion (the heaviest model here, ~2 ms a sample) dense-only, first
come first served, on one worker, so every request that is not withdrawn is computed: the
executor's sample counter (`zenith_plan_samples_total`) tells how many were.

Each HTTP/2 request is sent whole but for its END_STREAM flag; then all the END_STREAMs go out,
and once the server's gauges show every request admitted (queued, in flight or done), all the
RST_STREAMs. The samples the worker computed meanwhile (it starts as soon as the first
arrives) are the only ones that may be computed; without cancellation all 1,000 would be.
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
# Samples the worker may compute while the requests are being admitted (about 1,000 decodes on
# the event loops), before any reset is sent: a generous bound, far from the 1,000 computed
# without cancellation.
MAX_COMPUTED = 250


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


def computed_samples(url):
    text = urllib.request.urlopen(f"http://{url}/metrics", timeout=30).read().decode()
    return sum(float(v) for v in re.findall(
        r'^zenith_plan_samples_total\{model="' + re.escape(MODEL) + r'"[^}]*\} (\S+)$', text, re.M))


def occupancy(url):
    """(queued, in flight) samples of the model, from /metrics."""
    text = urllib.request.urlopen(f"http://{url}/metrics", timeout=30).read().decode()
    values = []
    for name in ("zenith_queued_samples", "zenith_inflight_samples"):
        m = re.search(r'^' + name + r'\{model="' + re.escape(MODEL) + r'"\} (\S+)$', text, re.M)
        values.append(float(m.group(1)))
    return tuple(values)


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
    while occupancy(url) != (0.0, 0.0):
        assert time.monotonic() < deadline, f"still queued / in flight: {occupancy(url)}"
        time.sleep(0.05)


def _send_all(sock, conn):
    data = conn.data_to_send()
    if data:
        sock.sendall(data)


def test_reset_streams_cost_no_compute(server, body):
    start = computed_samples(server)
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
    deadline = time.monotonic() + 120
    while sum(occupancy(server)) + computed_samples(server) - start < REQUESTS:
        assert time.monotonic() < deadline, "the requests were not all admitted"
        time.sleep(0.01)
    for sock, conn, streams in connections:
        for stream in streams:
            conn.reset_stream(stream, error_code=8)   # CANCEL
        _send_all(sock, conn)
    wait_until_idle(server)
    computed = computed_samples(server) - start
    print(f"{REQUESTS} reset requests: {computed:.0f} samples computed")
    assert computed <= MAX_COMPUTED

    status, queue_us = infer_now(server, body)
    assert status == 200
    # Behind 1,000 samples of ~2 ms it would wait seconds; withdrawn, it waits for nothing.
    assert queue_us < 1_000_000, f"queued {queue_us} us"
    for sock, _, _ in connections:
        sock.close()


def test_closed_http1_connections_cost_no_compute(server, body):
    start = computed_samples(server)
    host, port = server.split(":")
    request = (f"POST /v2/models/{MODEL}/infer HTTP/1.1\r\nHost: {server}\r\nContent-Type: application/json\r\n"
               f"zenith-latency-target-ms: 600000\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body
    sockets = []
    count = 200     # within the server's connection limit, with room for the rest of the suite
    for _ in range(count):
        sock = socket.create_connection((host, int(port)))
        sock.sendall(request)
        sockets.append(sock)
    for sock in sockets:
        sock.close()
    wait_until_idle(server)
    computed = computed_samples(server) - start
    print(f"{count} closed HTTP/1.1 requests: {computed:.0f} samples computed")
    assert computed <= count // 4
    status, queue_us = infer_now(server, body)
    assert status == 200 and queue_us < 1_000_000
