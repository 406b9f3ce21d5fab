"""Bounds on what one client can make the server hold.

An HTTP/1.1 client that pipelines requests and never reads its answers: the server stops reading
from it once the answers it owes cannot leave (the socket's send buffer and NIO's write
high-water mark are full), so the client's sends block after what the kernel buffers hold,
instead of the server reading on and keeping every answer in memory. Other clients are served
meanwhile.

An HTTP/2 client that opens many streams and leaves their bodies unfinished: each body is capped
by --max-body-bytes, and the unfinished bodies of one connection together by
--max-connection-body-bytes; the stream that would pass it is answered 429.
"""
import json
import select
import socket
import time
import urllib.error
import urllib.request

import pytest

import h2.events

from conftest import ROOT, h2_connect, h2_send_body, zenith_server

# Loopback socket buffers hold a few MB each way; a server that kept reading would take all of it.
LIMIT = 64 << 20


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    repository = tmp_path_factory.mktemp("repository")
    (repository / "fashion-mlp").symlink_to(ROOT / "Models" / "fashion-mlp")
    with zenith_server(repository, "--workers", "1") as url:
        yield url


def test_a_pipelining_client_that_never_reads_is_held_back(server):
    host, port = server.split(":")
    sock = socket.create_connection((host, int(port)))
    sock.setblocking(False)
    chunk = f"GET /v2/health/live HTTP/1.1\r\nHost: {server}\r\n\r\n".encode() * 1000
    sent = 0
    deadline = time.monotonic() + 60
    while sent < LIMIT and time.monotonic() < deadline:
        try:
            sent += sock.send(chunk)
        except BlockingIOError:
            # Blocked: if the server still reads, room comes back at once; 2 s without any means
            # it stopped.
            _, writable, _ = select.select([], [sock], [], 2.0)
            if not writable:
                break
    print(f"the server took {sent / 1e6:.1f} MB of pipelined requests before it stopped reading")
    assert sent < LIMIT
    # Another client is answered while this one is held.
    with urllib.request.urlopen(f"http://{server}/v2/health/live", timeout=10) as r:
        assert r.status == 200
    sock.close()


@pytest.fixture(scope="module")
def strict_server(tmp_path_factory):
    repository = tmp_path_factory.mktemp("repository-strict")
    (repository / "fashion-mlp").symlink_to(ROOT / "Models" / "fashion-mlp")
    with zenith_server(repository, "--workers", "1", "--request-timeout", "1",
                       "--max-connections-per-client", "20") as url:
        yield url


def test_a_request_dripped_byte_by_byte_is_cut_off(strict_server):
    host, port = strict_server.split(":")
    head = f"GET /v2/health/live HTTP/1.1\r\nHost: {strict_server}\r\nX-Slow: {'a' * 200}\r\n\r\n".encode()
    with socket.create_connection((host, int(port))) as sock:
        sock.settimeout(10)
        start = time.monotonic()
        reply = b""
        for i in range(len(head)):
            try:
                sock.sendall(head[i:i + 1])
            except (BrokenPipeError, ConnectionResetError):
                break
            # One byte every 50 ms: each byte would restart an idle timer.
            readable, _, _ = select.select([sock], [], [], 0.05)
            if readable:
                reply = sock.recv(4096)
                break
        elapsed = time.monotonic() - start
    print(f"cut off after {elapsed:.2f} s: {reply[:40]!r}")
    assert reply.startswith(b"HTTP/1.1 408"), reply
    assert elapsed < 5
    # A request sent at once on a new connection is answered.
    with urllib.request.urlopen(f"http://{strict_server}/v2/health/live", timeout=10) as r:
        assert r.status == 200


def test_one_address_cannot_hold_every_connection(strict_server):
    host, port = strict_server.split(":")
    held = []
    for _ in range(30):
        sock = socket.socket()
        sock.bind(("127.0.0.2", 0))     # another loopback address: another client
        sock.connect((host, int(port)))
        held.append(sock)
    # The server closes the connections past the address's 20 as soon as it accepts them.
    closed = 0
    for sock in held:
        sock.settimeout(5)
        readable, _, _ = select.select([sock], [], [], 0.2)
        if readable and sock.recv(1) == b"":
            closed += 1
    print(f"{closed} of 30 idle connections from one address closed at once")
    assert closed == 10
    with urllib.request.urlopen(f"http://{strict_server}/v2/health/live", timeout=10) as r:
        assert r.status == 200
    for sock in held:
        sock.close()


def test_models_cannot_be_unloaded_through_the_data_port_by_default(strict_server):
    request = urllib.request.Request(f"http://{strict_server}/v2/repository/models/fashion-mlp/unload", method="POST")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 403
    assert "model-control" in refused.value.read().decode()
    with urllib.request.urlopen(f"http://{strict_server}/v2/models/fashion-mlp/ready", timeout=10) as r:
        assert r.status == 200


def test_an_http2_connection_holds_at_most_its_body_budget(server):
    """Defaults: 16 MiB a body, 32 MiB of unfinished bodies a connection. Two streams hold 15 MiB
    each; the third is refused once it would pass 32 MiB, and the first two are still open."""
    sock, conn = h2_connect(server)
    sock.settimeout(30)  # a server that never refuses fails the test instead of hanging it

    def open_stream(stream):
        conn.send_headers(stream, [(":method", "POST"), (":scheme", "http"), (":authority", server),
                                   (":path", "/v2/models/fashion-mlp/infer"),
                                   ("content-type", "application/json")])
        sock.sendall(conn.data_to_send())

    for stream in (1, 3):
        open_stream(stream)
        h2_send_body(sock, conn, stream, b" " * (15 << 20))
    open_stream(5)
    status, body, ended, sent = None, b"", False, 0
    deadline = time.monotonic() + 60
    while not ended and time.monotonic() < deadline:
        window = 0 if status else min(conn.local_flow_control_window(5), conn.max_outbound_frame_size)
        if window > 0 and sent < (4 << 20):
            conn.send_data(5, b" " * window)
            sent += window
        else:
            for event in conn.receive_data(sock.recv(65536)):
                if isinstance(event, h2.events.ResponseReceived) and event.stream_id == 5:
                    status = int(dict(event.headers)[":status"])
                elif isinstance(event, h2.events.DataReceived) and event.stream_id == 5:
                    conn.acknowledge_received_data(event.flow_controlled_length, 5)
                    body += event.data
                elif isinstance(event, h2.events.StreamEnded) and event.stream_id == 5:
                    ended = True
                assert not isinstance(event, h2.events.ConnectionTerminated), event
        sock.sendall(conn.data_to_send())
    assert status == 429, (status, body)
    assert "unfinished request bodies on this connection exceed the limit of 33554432 bytes" in json.loads(body)["error"]
    assert 1 << 20 < sent <= 4 << 20, "refused only once the budget was reached"

    # The first stream was not touched: ending it hands its (blank, so malformed) body to the
    # handler, which answers 400.
    conn.end_stream(1)
    sock.sendall(conn.data_to_send())
    first = None
    while first is None:
        for event in conn.receive_data(sock.recv(65536)):
            if isinstance(event, h2.events.ResponseReceived) and event.stream_id == 1:
                first = int(dict(event.headers)[":status"])
        sock.sendall(conn.data_to_send())
    assert first == 400
    sock.close()
