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
from pathlib import Path
import select
import socket
import time
import urllib.error
import urllib.request

import pytest

import h2.events

from conftest import ROOT, h2_connect, h2_send_body, zenith_listeners, zenith_server

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


@pytest.fixture(scope="module")
def small_server(tmp_path_factory):
    """Small limits: 10 connections in all; 1 MiB a body and a connection, 2 MiB of bodies in
    all; and the health port."""
    repository = tmp_path_factory.mktemp("repository-small")
    (repository / "fashion-mlp").symlink_to(ROOT / "Models" / "fashion-mlp")
    with zenith_listeners(repository, "--workers", "1", "--max-connections", "10",
                          "--max-body-bytes", str(1 << 20), "--max-connection-body-bytes", str(1 << 20),
                          "--max-process-body-bytes", str(2 << 20), "--health-port", "0") as listeners:
        yield listeners


def test_connections_in_all_are_bounded_by_the_flag(small_server):
    server = small_server["data"]
    host, port = server.split(":")
    held = []
    for _ in range(12):
        sock = socket.socket()
        sock.bind(("127.0.0.2", 0))     # one client address, well under its own 256
        sock.connect((host, int(port)))
        held.append(sock)

    seen_closed = set()

    def closed_by_server():
        """The connections the server has closed since the last call."""
        closed = []
        for sock in held:
            if sock in seen_closed:
                continue
            readable, _, _ = select.select([sock], [], [], 0.2)
            if readable and sock.recv(1) == b"":
                closed.append(sock)
                seen_closed.add(sock)
        return closed

    # Past the 10, a newcomer from the address holding them all has nothing fair to displace.
    assert closed_by_server() == held[10:]
    # A newcomer from another address displaces that address's oldest connection.
    with urllib.request.urlopen(f"http://{server}/v2/health/live", timeout=10) as r:
        assert r.status == 200
    assert closed_by_server() == [held[0]]
    for sock in held:
        sock.close()


def infer_body(size):
    """A valid fashion-mlp JSON request padded with blanks to `size` bytes."""
    body = json.dumps({"inputs": [{"name": "input", "shape": [1, 784], "datatype": "FP32", "data": [0.5] * 784}],
                       "parameters": {"latency_target_ms": 60000}}).encode()
    return body + b" " * (size - len(body))


class HeldH1:
    """An HTTP/1.1 request whose body is sent but for its last bytes."""

    def __init__(self, server, body):
        host, port = server.split(":")
        self.sock = socket.create_connection((host, int(port)), timeout=30)
        self.body = body
        self.sock.sendall(f"POST /v2/models/fashion-mlp/infer HTTP/1.1\r\nHost: {server}\r\n"
                          f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n".encode()
                          + body[:-10])

    def refusal(self, timeout):
        """(status, JSON body) if the server has answered already, else None."""
        readable, _, _ = select.select([self.sock], [], [], timeout)
        if not readable:
            return None
        head, _, rest = self.read_all().partition(b"\r\n\r\n")
        return int(head.split()[1]), head.decode(), json.loads(rest)

    def read_all(self):
        reply = b""
        while b"\r\n\r\n" not in reply or len(reply.partition(b"\r\n\r\n")[2]) < self.length(reply):
            chunk = self.sock.recv(65536)
            if not chunk:
                break
            reply += chunk
        return reply

    @staticmethod
    def length(reply):
        for line in reply.partition(b"\r\n\r\n")[0].split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                return int(value)
        return 0

    def finish(self):
        self.sock.sendall(self.body[-10:])
        head, _, _ = self.read_all().partition(b"\r\n\r\n")
        return int(head.split()[1])


class HeldH2:
    """An HTTP/2 request (its own connection) whose body is sent but for its last bytes."""

    def __init__(self, server, body):
        self.sock, self.conn = h2_connect(server)
        self.sock.settimeout(30)
        self.body = body
        self.status, self.headers, self.data, self.ended = None, {}, b"", False
        self.conn.send_headers(1, [(":method", "POST"), (":scheme", "http"), (":authority", server),
                                   (":path", "/v2/models/fashion-mlp/infer"),
                                   ("content-type", "application/json"), ("content-length", str(len(body)))])
        h2_send_body(self.sock, self.conn, 1, body[:-10])

    def pump(self):
        for event in self.conn.receive_data(self.sock.recv(65536)):
            if isinstance(event, h2.events.ResponseReceived):
                self.headers = dict(event.headers)
                self.status = int(self.headers[":status"])
            elif isinstance(event, h2.events.DataReceived):
                self.conn.acknowledge_received_data(event.flow_controlled_length, 1)
                self.data += event.data
            elif isinstance(event, (h2.events.StreamEnded, h2.events.StreamReset)):
                self.ended = True
        self.sock.sendall(self.conn.data_to_send())

    def refusal(self, timeout):
        readable, _, _ = select.select([self.sock], [], [], timeout)
        if readable:
            self.pump()    # SETTINGS and WINDOW_UPDATE frames come too, not only a response
        if self.status is None or not self.ended:
            return None
        return self.status, str(self.headers), json.loads(self.data)

    def finish(self):
        self.conn.send_data(1, self.body[-10:], end_stream=True)
        self.sock.sendall(self.conn.data_to_send())
        while not self.ended:
            self.pump()
        return self.status


def test_request_bodies_in_all_are_bounded_by_the_server_budget(small_server):
    """Four clients, two over HTTP/1.1 and two over HTTP/2, each within its own 1 MiB, hold
    600 kB of body each: together past the server's 2 MiB. Exactly one is refused, 503 with the
    reason; the other three finish and are served, and then the budget is whole again."""
    server = small_server["data"]
    body = infer_body(600_000)
    clients = [HeldH1(server, body), HeldH2(server, body), HeldH1(server, body), HeldH2(server, body)]
    refused = None
    deadline = time.monotonic() + 30
    while refused is None and time.monotonic() < deadline:
        for client in clients:
            answer = client.refusal(0.05)
            if answer is not None:
                refused = (client, answer)
                break
    assert refused is not None, "no request was refused"
    client, (status, headers, reason) = refused
    assert status == 503, (status, reason)
    assert "retry-after" in headers.lower()
    assert reason["error"] == ("the unfinished request bodies on all connections exceed the server's limit of "
                               f"{2 << 20} bytes; retry later")
    for other in clients:
        if other is not client:
            assert other.finish() == 200
    # The served bodies returned their bytes: three more fit as they arrive.
    again = [HeldH1(server, body), HeldH2(server, body), HeldH1(server, body)]
    assert [c.finish() for c in again] == [200, 200, 200]
    # This server allows 10 connections in all: leave none behind for the next test.
    for held in clients + again:
        held.sock.close()


def test_probes_are_answered_on_the_health_port_while_the_data_port_is_flooded(small_server):
    """Six clients keep the data port's event loops decoding large bodies; a liveness probe on
    the health port is answered while their requests are in flight (a bound for a shared machine:
    this checks that the probe does not queue behind them, not how fast it is)."""
    import threading
    import http.client
    server, health = small_server["data"], small_server["health"]
    body = infer_body(1 << 20)
    stop = threading.Event()
    flooding = threading.Event()
    served = []

    def flood():
        host, port = server.split(":")
        client = http.client.HTTPConnection(host, int(port), timeout=60)
        while not stop.is_set():
            client.request("POST", "/v2/models/fashion-mlp/infer", body, {"Content-Type": "application/json"})
            response = client.getresponse()
            response.read()
            served.append(response.status)
            flooding.set()

    threads = [threading.Thread(target=flood) for _ in range(6)]
    for thread in threads:
        thread.start()
    try:
        assert flooding.wait(timeout=60), "the flood never got an answer"
        worst = 0
        for path in ["/v2/health/live", "/v2/health/ready"] * 5:
            start = time.monotonic()
            with urllib.request.urlopen(f"http://{health}{path}", timeout=5) as r:
                assert r.status == 200
            worst = max(worst, time.monotonic() - start)
        assert not stop.is_set() and all(thread.is_alive() for thread in threads)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    print(f"slowest of 10 probes under the flood: {worst * 1000:.0f} ms; {len(served)} flood requests")
    assert set(served) <= {200, 429, 503}
    # The health port serves nothing else.
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"http://{health}/v2/models/fashion-mlp", timeout=5)
    assert refused.value.code == 404
    assert "health port serves only" in refused.value.read().decode()


def vm_rss_mb(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads the server's RSS from /proc")
def test_reloading_a_model_returns_its_memory(tmp_path_factory):
    """Reloads of the largest model (45 MB of weights), each replacing the one before: the
    server's resident size after them stays within one model's worth of where it was after the
    first, where each replaced copy left in the allocator's arenas would add up."""
    repository = tmp_path_factory.mktemp("repository-reload")
    (repository / "resnet18-fashion").symlink_to(ROOT / "Models" / "resnet18-fashion")
    with zenith_listeners(repository, "--workers", "2", "--model-control", "explicit") as listeners:
        server, pid = listeners["data"], listeners["pid"]

        def reload():
            request = urllib.request.Request(f"http://{server}/v2/repository/models/resnet18-fashion/load",
                                             data=b"{}", method="POST")
            with urllib.request.urlopen(request, timeout=120) as r:
                assert r.status == 200

        body = json.dumps({"inputs": [{"name": "input", "shape": [8, 1, 28, 28], "datatype": "FP32",
                                       "data": [0.5] * (8 * 784)}],
                           "parameters": {"latency_target_ms": 60000}}).encode()

        def infer():
            request = urllib.request.Request(f"http://{server}/v2/models/resnet18-fashion/infer", data=body,
                                             method="POST", headers={"Content-Type": "application/json"})
            with urllib.request.urlopen(request, timeout=120) as r:
                assert r.status == 200

        reload()
        infer()
        first = vm_rss_mb(pid)
        sizes = []
        for _ in range(10):
            reload()
            infer()
            sizes.append(vm_rss_mb(pid))
        print(f"VmRSS after the first reload {first:.0f} MB, after each of 10 more: "
              + ", ".join(f"{size:.0f}" for size in sizes))
        assert max(sizes) < first + 45, f"{first:.0f} MB grew to {max(sizes):.0f} MB"
        with urllib.request.urlopen(f"http://{server}/v2/models/resnet18-fashion/ready", timeout=10) as r:
            assert r.status == 200
