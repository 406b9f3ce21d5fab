"""The server's SLO figures are the client's: a request's latency runs from when its headers were
read (not when its handler got the event loop) to when the last byte of its answer left (not
when the answer was computed).

- A slow reader (an HTTP/2 client that grants no flow-control window until after the deadline):
  the answer says `slo_met: true` (it was ready in time), the server's counters count a miss.
- A slow writer (an HTTP/1.1 client that sends its headers, then its body after the deadline)
  and a busy event loop (a 14 MB JSON body decoded on the loop just before a small request on
  the same connection): the request's latency includes that wait, so it misses a target its
  compute alone would meet.
The server runs dense-only, where targets are judged and reported but never refuse a request,
so each request is answered and its own figures can be checked.
"""
import json
import re
import socket
import time
import urllib.request

import h2.events
import pytest

from conftest import ROOT, h2_connect, h2_send_body, zenith_server

MODEL = "fashion-mlp"
TARGET_MS = 50


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    repository = tmp_path_factory.mktemp("repository")
    (repository / MODEL).symlink_to(ROOT / "Models" / MODEL)
    with zenith_server(repository, "--workers", "1", "--dense-only") as url:
        yield url


def slo_counts(url):
    """(met, missed) from zenith_slo_requests_total."""
    text = urllib.request.urlopen(f"http://{url}/metrics", timeout=30).read().decode()
    counts = {}
    for met in ("true", "false"):
        m = re.search(r'^zenith_slo_requests_total\{[^}]*met="' + met + r'"[^}]*\} (\S+)$', text, re.M)
        counts[met] = float(m.group(1)) if m else 0.0
    return counts["true"], counts["false"]


def slo_counts_after(url, before, requests=1, timeout=30):
    """(met, missed) once `requests` more requests are judged than in `before`. The server
    judges a request when its last byte's write completes, which may be after the client has
    read that byte; so wait for the counters to move rather than read them once."""
    deadline = time.monotonic() + timeout
    while True:
        counts = slo_counts(url)
        if sum(counts) >= sum(before) + requests or time.monotonic() > deadline:
            return counts
        time.sleep(0.02)


def infer_body(batch=1, shape_batch=None):
    return json.dumps({"inputs": [{"name": "input", "datatype": "FP32", "shape": [shape_batch or batch, 784],
                                   "data": [0.5] * (784 * batch)}]}).encode()


def headers(url, target_ms):
    return [(":method", "POST"), (":scheme", "http"), (":authority", url), (":path", f"/v2/models/{MODEL}/infer"),
            ("content-type", "application/json"), ("zenith-latency-target-ms", str(target_ms))]


def read_responses(sock, conn, streams):
    """{stream: (status, JSON body, monotonic time its headers arrived)}, acknowledging data so
    the server can go on sending."""
    status, body, at, done = {}, {s: b"" for s in streams}, {}, set()
    while done != set(streams):
        for event in conn.receive_data(sock.recv(65536)):
            if isinstance(event, h2.events.ResponseReceived):
                status[event.stream_id] = int(dict(event.headers)[":status"])
                at[event.stream_id] = time.monotonic()
            elif isinstance(event, h2.events.DataReceived):
                conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
                body[event.stream_id] += event.data
            elif isinstance(event, h2.events.StreamEnded):
                done.add(event.stream_id)
        sock.sendall(conn.data_to_send())
    return {s: (status[s], json.loads(body[s]), at[s]) for s in streams}


def read_response(sock, conn, stream):
    status, body, _ = read_responses(sock, conn, [stream])[stream]
    return status, body


def test_a_slow_reader_is_a_miss(server):
    met0, missed0 = slo_counts(server)
    sock, conn = h2_connect(server, window=0)
    conn.send_headers(1, headers(server, TARGET_MS))
    h2_send_body(sock, conn, 1, infer_body(), end_stream=True)
    # The client reads nothing for 10x the target: the answer cannot leave before then.
    time.sleep(10 * TARGET_MS / 1000)
    conn.increment_flow_control_window(1 << 20, stream_id=1)
    sock.sendall(conn.data_to_send())
    status, answer = read_response(sock, conn, 1)
    sock.close()
    assert status == 200
    assert answer["parameters"]["slo_met"] is True, "ready in time: the answer itself says met"
    met1, missed1 = slo_counts_after(server, (met0, missed0))
    assert (met1 - met0, missed1 - missed0) == (0, 1), "left after the deadline: counted as a miss"


def test_time_waiting_for_a_busy_event_loop_counts(server):
    before = slo_counts(server)
    sock, conn = h2_connect(server)
    # A 14 MB JSON body, decoded on the event loop when its stream ends (then refused: its data
    # does not fit its shape, which only a full parse shows), and a small request whose headers
    # arrive in the same read.
    big = infer_body(batch=2300, shape_batch=1)
    conn.send_headers(1, headers(server, 60000))
    h2_send_body(sock, conn, 1, big)
    conn.end_stream(1)
    conn.send_headers(3, headers(server, TARGET_MS), end_stream=False)
    conn.send_data(3, infer_body(), end_stream=True)
    sent = time.monotonic()
    sock.sendall(conn.data_to_send())
    answers = read_responses(sock, conn, [1, 3])
    sock.close()
    assert answers[1][0] == 400
    status, answer, _ = answers[3]
    assert status == 200
    # The big body's decode held the loop at least until its 400 left; the small request,
    # read before it, waited all that time.
    stall_ms = (answers[1][2] - sent) * 1000
    total_ms = answer["parameters"]["total_us"] / 1000
    print(f"loop held {stall_ms:.1f} ms; small request: total {total_ms:.1f} ms, "
          f"compute {answer['parameters']['compute_us'] / 1000:.2f} ms")
    assert stall_ms > TARGET_MS, "the stall must exceed the target for this test to mean anything"
    assert total_ms >= 0.9 * stall_ms and answer["parameters"]["slo_met"] is False
    met1, missed1 = slo_counts_after(server, before)
    assert (met1 - before[0], missed1 - before[1]) == (0, 1), "the 400 is not judged; the late answer is a miss"


def test_time_waiting_for_the_body_counts(server):
    met0, missed0 = slo_counts(server)
    host, port = server.split(":")
    body = infer_body()
    with socket.create_connection((host, int(port))) as sock:
        sock.sendall((f"POST /v2/models/{MODEL}/infer HTTP/1.1\r\nHost: {server}\r\n"
                      f"Content-Type: application/json\r\nzenith-latency-target-ms: {TARGET_MS}\r\n"
                      f"Content-Length: {len(body)}\r\n\r\n").encode())
        # The client takes 4x the target to send its body.
        time.sleep(4 * TARGET_MS / 1000)
        sock.sendall(body)
        reply = b""
        while b"\r\n\r\n" not in reply or len(reply.split(b"\r\n\r\n", 1)[1]) < int(
                re.search(rb"content-length: (\d+)", reply, re.I).group(1)):
            reply += sock.recv(65536)
    assert reply.startswith(b"HTTP/1.1 200")
    answer = json.loads(reply.split(b"\r\n\r\n", 1)[1])
    assert answer["parameters"]["total_us"] / 1000 >= 4 * TARGET_MS
    assert answer["parameters"]["slo_met"] is False
    met1, missed1 = slo_counts_after(server, (met0, missed0))
    assert (met1 - met0, missed1 - missed0) == (0, 1)
