"""A hostile-input corpus: every malformed, lying or abusive request in `hostile/*.json` gets a
protocol-correct answer that names what was wrong, and none of them disturbs anyone else.

Why: a server exposed to the network meets clients that are broken or malicious far more often
than its happy-path tests suggest. Each case here is data (an id, the bytes or fields sent, the
answer expected), so a new finding is one line in a corpus file. The categories: malformed JSON
bodies, wrong fields in the inference request (shapes, datatypes, data, parameters, SLO headers),
lies in the binary tensor extension's sizes, paths, raw HTTP/1.1 framing (smuggling shapes,
duplicate lengths, transfer codings, h2c upgrades), raw HTTP/2 frames (bad preface, floods,
rapid reset, streams past the limit, a reader that grants no window), gRPC framing, and bodies
for the operator API.

While the corpus runs, two control clients (one HTTP/1.1 keep-alive connection, one HTTP/2
connection) keep sending a real Fashion-MNIST test image to `fashion-mlp`; every answer must be
200 with the right class. The last test checks their record, that the server is alive, and that
its memory stayed bounded.

One server for the module (port 0), dense-only so that a correct request is always served.
"""
import base64
import http.client
import json
import os
import re
import select
import socket
import struct
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

import grpc
import h2.events
import hpack
import numpy as np
import pytest
from tritonclient.grpc import service_pb2

from conftest import ROOT, h2_connect, h2_send_body, zenith_server

MODEL = "fashion-mlp"
INFER = f"/v2/models/{MODEL}/infer"
CORPUS = Path(__file__).resolve().parent / "hostile"
MAX_BODY = 600_000      # under the 1 MiB window an HTTP/2 stream is granted
TIMEOUT = 20   # seconds any single answer may take; the machine may be busy
DIGITS400 = "9" * 400


def corpus(name):
    """The cases of one corpus file, as pytest parameters with their ids."""
    cases = json.loads((CORPUS / name).read_text())["cases"]
    ids = [c["id"] for c in cases]
    assert len(ids) == len(set(ids)), f"{name}: duplicate ids"
    return [pytest.param(c, id=c["id"]) for c in cases]


# ----------------------------------------------------------------------------------------------
# The valid request and the placeholders the corpus uses.

DATA = [0.5] * 784
DATA_TEXT = json.dumps(DATA)
VALID_INPUT = {"name": "input", "datatype": "FP32", "shape": [1, 784], "data": DATA}


def expand(text):
    """Replaces the corpus's placeholders in a body or byte stream."""
    deep = 200
    replacements = {
        "$INPUT": json.dumps(VALID_INPUT),
        "$DATA_TAIL2": "," + ",".join(["0.5"] * 782),
        "$DATA_TAIL": "," + ",".join(["0.5"] * 783),
        "$DATA": DATA_TEXT,
        "$DIGITS400": DIGITS400,
        "$DEEP_ARRAY": "[" * deep + "]" * deep,
        "$DEEP_OBJECT": '{"a":' * deep + "1" + "}" * deep,
    }
    for key, value in replacements.items():
        text = text.replace(key, value)
    return text


def valid_body():
    return json.dumps({"inputs": [VALID_INPUT]})


# ----------------------------------------------------------------------------------------------
# Server, control clients.

def find_pid(repository):
    """The server's process id, found by the repository path on its command line."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if str(repository).encode() in cmdline and b"serve" in cmdline:
            return int(entry.name)
    raise AssertionError("server process not found")


def listening_ports(pid):
    """TCP ports the process listens on (from /proc: its socket inodes in /proc/net/tcp)."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    ports = set()
    for line in Path(f"/proc/{pid}/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[3] == "0A" and fields[9] in inodes:   # LISTEN
            ports.add(int(fields[1].split(":")[1], 16))
    return ports


def rss_bytes(pid):
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1)) * 1024


class Server:
    def __init__(self, url, pid):
        self.url = url
        self.host, port = url.split(":")
        self.port = int(port)
        self.pid = pid
        others = listening_ports(pid) - {self.port}
        assert len(others) == 1, f"operator port not found among {others}"
        self.operator = f"{self.host}:{others.pop()}"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    repository = tmp_path_factory.mktemp("repository-hostile")
    (repository / MODEL).symlink_to(ROOT / "Models" / MODEL)
    with zenith_server(repository, "--workers", "1", "--dense-only", "--warmup-iterations", "0",
                       "--max-body-bytes", str(MAX_BODY), "--request-timeout", "5",
                       "--max-connections-per-client", "1000") as url:
        yield Server(url, find_pid(repository))


class Control:
    """Sends one real test image again and again on one connection until stopped; records every
    answer that is not 200 with the image's class."""

    def __init__(self, server, image, label, protocol):
        self.server, self.label, self.protocol = server, label, protocol
        self.body = json.dumps({"inputs": [{"name": "input", "datatype": "FP32", "shape": [1, 784],
                                            "data": [float(v) for v in image.ravel()]}]}).encode()
        self.stop = threading.Event()
        self.answers = 0
        self.failures = []
        self.thread = threading.Thread(target=self.run, daemon=True)

    def check(self, status, body):
        self.answers += 1
        if status != 200:
            self.failures.append((status, body[:200]))
            return
        logits = json.loads(body)["outputs"][0]["data"]
        if int(np.argmax(logits)) != self.label:
            self.failures.append(("wrong class", int(np.argmax(logits)), self.label))

    def run(self):
        try:
            if self.protocol == "http1":
                self.run_http1()
            else:
                self.run_http2()
        except Exception as error:   # recorded, checked at the end
            self.failures.append(("control client failed", repr(error)))

    def run_http1(self):
        connection = http.client.HTTPConnection(self.server.host, self.server.port, timeout=TIMEOUT)
        headers = {"Content-Type": "application/json", "zenith-latency-target-ms": "60000"}
        while not self.stop.wait(0.02):
            connection.request("POST", INFER, body=self.body, headers=headers)
            response = connection.getresponse()
            self.check(response.status, response.read())
        connection.close()

    def run_http2(self):
        sock, conn = h2_connect(self.server.url)
        sock.settimeout(TIMEOUT)
        while not self.stop.wait(0.02):
            stream = conn.get_next_available_stream_id()
            conn.send_headers(stream, [(":method", "POST"), (":scheme", "http"), (":authority", self.server.url),
                                       (":path", INFER), ("content-type", "application/json"),
                                       ("zenith-latency-target-ms", "60000")])
            h2_send_body(sock, conn, stream, self.body, end_stream=True)
            status, body = read_h2_response(sock, conn, stream)
            self.check(status, body)
        sock.close()


def read_h2_response(sock, conn, stream):
    """(status, body) of `stream` on an h2-library connection."""
    status, body = None, b""
    while True:
        data = sock.recv(65536)
        if not data:
            raise ConnectionError("closed")
        for event in conn.receive_data(data):
            if isinstance(event, h2.events.ResponseReceived) and event.stream_id == stream:
                status = int(dict(event.headers)[":status"])
            elif isinstance(event, h2.events.DataReceived):
                conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
                if event.stream_id == stream:
                    body += event.data
            elif isinstance(event, h2.events.StreamEnded) and event.stream_id == stream:
                sock.sendall(conn.data_to_send())
                return status, body
            elif isinstance(event, (h2.events.StreamReset, h2.events.ConnectionTerminated)):
                raise ConnectionError(repr(event))
        sock.sendall(conn.data_to_send())


@pytest.fixture(scope="module")
def controls(server, test_set):
    images, labels = test_set
    # A test image the dense model classifies right (most are).
    index = next(i for i in range(100) if first_answer(server, images[i]) == labels[i])
    server.baseline_rss = rss_bytes(server.pid)
    started = [Control(server, images[index], int(labels[index]), protocol) for protocol in ("http1", "http2")]
    for control in started:
        control.thread.start()
    yield started
    for control in started:
        control.stop.set()


def first_answer(server, image):
    body = json.dumps({"inputs": [{"name": "input", "datatype": "FP32", "shape": [1, 784],
                                   "data": [float(v) for v in image.ravel()]}]}).encode()
    request = urllib.request.Request(f"http://{server.url}{INFER}", data=body,
                                     headers={"Content-Type": "application/json", "zenith-latency-target-ms": "60000"})
    with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
        return int(np.argmax(json.loads(response.read())["outputs"][0]["data"]))


# ----------------------------------------------------------------------------------------------
# Sending a request over HTTP/1.1 (raw socket) and HTTP/2 (hand-built frames), reading the answer.

def recv_until(sock, predicate, timeout=TIMEOUT):
    """Reads until `predicate(data)` or the peer closes; returns (data, closed)."""
    data = b""
    deadline = time.monotonic() + timeout
    while not predicate(data):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError(f"no complete answer within {timeout} s; got {data[:300]!r}")
        readable, _, _ = select.select([sock], [], [], remaining)
        if not readable:
            continue
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            return data, True
        if not chunk:
            return data, True
        data += chunk
    return data, False


def wait_closed(sock, timeout=3.0):
    """Whether the peer closes (EOF or reset) within `timeout`, discarding what it sends."""
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        readable, _, _ = select.select([sock], [], [], remaining)
        if readable:
            try:
                if sock.recv(65536) == b"":
                    return True
            except (ConnectionResetError, BrokenPipeError):
                return True


def parse_http1_responses(data, head=False):
    """The complete responses at the start of `data`: [(status, headers, body)], rest. `head`:
    the responses answer HEAD requests (no body whatever Content-Length says)."""
    responses = []
    while b"\r\n\r\n" in data:
        head_text, rest = data.split(b"\r\n\r\n", 1)
        lines = head_text.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ")[1])
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        if status == 101:
            responses.append((status, headers, b""))
            return responses, rest
        length = 0 if head else int(headers.get("content-length", "0"))
        if len(rest) < length:
            break
        responses.append((status, headers, rest[:length]))
        data = rest[length:]
    return responses, data


def http1_exchange(address, raw, count, expect_close=None, head=False):
    """Sends `raw` on a new connection to (host, port) and reads `count` responses; returns
    (responses, closed) where closed tells whether the server closed the connection after them."""
    with socket.create_connection(address, timeout=TIMEOUT) as sock:
        try:
            sock.sendall(raw)
        except (BrokenPipeError, ConnectionResetError):
            pass
        data, closed = recv_until(sock, lambda d: len(parse_http1_responses(d, head)[0]) >= count)
        responses, rest = parse_http1_responses(data, head)
        if not closed and expect_close is not None:
            # Closed means EOF (or a reset) soon (a lingering close waits up to 2 s); open means
            # no EOF for a moment.
            closed = wait_closed(sock, 3.0 if expect_close else 0.3)
        return responses, closed


def check_answer(status, body, case, where=""):
    """The status is the case's; a refusal's JSON `error` names what was wrong."""
    assert status == case["status"], f"{where}: got {status}: {body[:400]!r}"
    if "error" in case:
        answer = json.loads(body)
        assert case["error"] in answer["error"], f"{where}: {answer['error']!r} lacks {case['error']!r}"
    elif status == 200 and body.startswith(b"{") and b"\x00" not in body:
        assert "error" not in json.loads(body)


def post_http1(server, body, headers=(), path=INFER, method="POST"):
    fields = [("Host", server.url), ("Content-Type", "application/json"), ("zenith-latency-target-ms", "60000")]
    names = {name.lower() for name, _ in headers}
    fields = [(n, v) for n, v in fields if n.lower() not in names] + list(headers)
    head = f"{method} {path} HTTP/1.1\r\n" + "".join(f"{n}: {v}\r\n" for n, v in fields)
    if body is not None:
        head += f"Content-Length: {len(body)}\r\n"
    raw = head.encode("latin-1") + b"\r\n" + (body or b"")
    (response,), _ = http1_exchange((server.host, server.port), raw, 1, head=method == "HEAD")
    return response[0], response[2]


# Frames by hand.
FRAME_TYPES = {"DATA": 0, "HEADERS": 1, "PRIORITY": 2, "RST_STREAM": 3, "SETTINGS": 4, "PUSH_PROMISE": 5,
               "PING": 6, "GOAWAY": 7, "WINDOW_UPDATE": 8, "CONTINUATION": 9}
ERROR_CODES = {"NO_ERROR": 0, "PROTOCOL_ERROR": 1, "INTERNAL_ERROR": 2, "FLOW_CONTROL_ERROR": 3,
               "SETTINGS_TIMEOUT": 4, "STREAM_CLOSED": 5, "FRAME_SIZE_ERROR": 6, "REFUSED_STREAM": 7, "CANCEL": 8,
               "COMPRESSION_ERROR": 9, "CONNECT_ERROR": 10, "ENHANCE_YOUR_CALM": 11}
CODE_NAMES = {v: k for k, v in ERROR_CODES.items()}
PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"


def frame(kind, flags, stream, payload):
    kind = FRAME_TYPES.get(kind, kind)
    return struct.pack(">I", len(payload))[1:] + bytes([kind, flags]) + struct.pack(">I", stream) + payload


def settings_frame(settings):
    return frame("SETTINGS", 0, 0, b"".join(struct.pack(">HI", int(k), v) for k, v in settings.items()))


def request_fields(server, request, extra=()):
    if request == "infer":
        fields = [(":method", "POST"), (":scheme", "http"), (":authority", server.url), (":path", INFER),
                  ("content-type", "application/json"), ("zenith-latency-target-ms", "60000")]
    else:
        method, path = request.split(" ", 1)
        fields = [(":method", method.upper()), (":scheme", "http"), (":authority", server.url), (":path", path)]
    return fields + [tuple(f) for f in extra]


def header_block(fields):
    # Raw fields, unvalidated: the encoder does not check names or values.
    return hpack.Encoder().encode([(n.encode("latin-1"), v.encode("latin-1")) for n, v in fields])


class FrameReader:
    """Reads frames off a raw HTTP/2 connection, decoding response headers."""

    def __init__(self, sock):
        self.sock, self.buffer, self.decoder, self.closed = sock, b"", hpack.Decoder(), False
        self.decoder.max_allowed_table_size = 1 << 16
        self.pending = {}

    def next(self, timeout=TIMEOUT):
        """(type, flags, stream, payload), or None once the connection is closed."""
        deadline = time.monotonic() + timeout
        while len(self.buffer) < 9 or len(self.buffer) < 9 + int.from_bytes(self.buffer[:3], "big"):
            if self.closed:
                return None
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError("no frame within the time allowed")
            readable, _, _ = select.select([self.sock], [], [], remaining)
            if not readable:
                continue
            try:
                chunk = self.sock.recv(1 << 20)
            except ConnectionResetError:
                chunk = b""
            if not chunk:
                self.closed = True
                if len(self.buffer) < 9:
                    return None
            self.buffer += chunk
        length = int.from_bytes(self.buffer[:3], "big")
        kind, flags = self.buffer[3], self.buffer[4]
        stream = int.from_bytes(self.buffer[5:9], "big") & 0x7FFFFFFF
        payload = self.buffer[9:9 + length]
        self.buffer = self.buffer[9 + length:]
        return kind, flags, stream, payload

    def headers(self, flags, payload):
        if flags & 0x8:   # PADDED
            payload = payload[1:len(payload) - payload[0]]
        if flags & 0x20:  # PRIORITY
            payload = payload[5:]
        return dict((n.decode() if isinstance(n, bytes) else n, v.decode() if isinstance(v, bytes) else v)
                    for n, v in self.decoder.decode(payload, raw=True))


def h2_outcome(sock, reader, want_streams=(), window_updates=True, until=None):
    """Reads until the connection closes or every stream in `want_streams` ends. Returns
    {'goaway': code name or None, 'rst': {stream: code name}, 'responses': {stream: (status, body)},
    'closed': bool}."""
    outcome = {"goaway": None, "rst": {}, "responses": {}, "closed": False}
    statuses, bodies = {}, {}
    done = set()
    while not (want_streams and set(want_streams) <= done) and not (until and until(outcome)):
        got = reader.next()
        if got is None:
            outcome["closed"] = True
            break
        kind, flags, stream, payload = got
        if kind == FRAME_TYPES["GOAWAY"]:
            outcome["goaway"] = CODE_NAMES.get(int.from_bytes(payload[4:8], "big"), "UNKNOWN")
        elif kind == FRAME_TYPES["RST_STREAM"]:
            outcome["rst"][stream] = CODE_NAMES.get(int.from_bytes(payload[:4], "big"), "UNKNOWN")
            done.add(stream)
        elif kind == FRAME_TYPES["HEADERS"]:
            fields = reader.headers(flags, payload)
            if ":status" in fields:
                statuses[stream] = int(fields[":status"])
            if flags & 0x1:
                done.add(stream)
        elif kind == FRAME_TYPES["DATA"]:
            bodies[stream] = bodies.get(stream, b"") + payload
            if window_updates and payload:
                try:
                    sock.sendall(frame("WINDOW_UPDATE", 0, 0, struct.pack(">I", len(payload)))
                                 + frame("WINDOW_UPDATE", 0, stream, struct.pack(">I", len(payload))))
                except OSError:
                    pass
            if flags & 0x1:
                done.add(stream)
        elif kind == FRAME_TYPES["SETTINGS"] and not flags & 0x1:
            try:
                sock.sendall(frame("SETTINGS", 1, 0, b""))
            except OSError:
                pass
    for stream, status in statuses.items():
        outcome["responses"][stream] = (status, bodies.get(stream, b""))
    return outcome


def h2_open(server, preface=True, settings=True, ack=True):
    """A raw HTTP/2 connection: preface and SETTINGS sent, the server's SETTINGS read and
    acknowledged (so the stream window it grants, 1 MiB, is in force)."""
    sock = socket.create_connection((server.host, server.port), timeout=TIMEOUT)
    reader = FrameReader(sock)
    if preface:
        sock.sendall(PREFACE + (settings_frame({}) if settings else b""))
    if preface and settings and ack:
        while True:
            got = reader.next()
            assert got is not None, "closed before its SETTINGS"
            kind, flags, _, _ = got
            if kind == FRAME_TYPES["SETTINGS"] and not flags & 0x1:
                sock.sendall(frame("SETTINGS", 1, 0, b""))
                break
    return sock, reader


def h2_request(server, body, extra=(), path=INFER, method="POST"):
    """One request on a fresh raw HTTP/2 connection: (status, body)."""
    sock, reader = h2_open(server)
    with sock:
        fields = request_fields(server, f"{method} {path}")
        if method == "POST":
            fields += [("content-type", "application/json"), ("zenith-latency-target-ms", "60000")]
        names = {n for n, _ in extra}
        fields = [(n, v) for n, v in fields if n not in names] + list(extra)
        out = frame("HEADERS", 0x4 | (0 if body is not None else 0x1), 1, header_block(fields))
        if body is not None:
            for start in range(0, max(len(body), 1), 16384):
                chunk = body[start:start + 16384]
                out += frame("DATA", 0x1 if start + 16384 >= len(body) else 0, 1, chunk)
        sock.sendall(out)
        outcome = h2_outcome(sock, reader, want_streams=[1])
        assert 1 in outcome["responses"], f"no response on stream 1: {outcome}"
        return outcome["responses"][1]


def send(server, protocol, body, headers=(), path=INFER, method="POST"):
    headers = [(n.lower(), v) for n, v in headers]
    if protocol == "http1":
        return post_http1(server, body, headers, path=path, method=method)
    return h2_request(server, body, headers, path=path, method=method)


PROTOCOLS = ["http1", "http2"]


# ----------------------------------------------------------------------------------------------
# Inference bodies, fields, parameters, binary tensors and paths, over both protocols.

@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("case", corpus("bodies.json"))
def test_body(server, controls, case, protocol):
    status, body = send(server, protocol, expand(case["body"]).encode("latin-1"))
    check_answer(status, body, case, case["id"])


def build_input(case):
    tensor = json.loads(json.dumps(VALID_INPUT))
    tensor.update(case.get("set", {}))
    if "drop" in case:
        del tensor[case["drop"]]
    if "set_shape_ones" in case:
        tensor["shape"] = [1] * case["set_shape_ones"]
    if "data_count" in case:
        tensor["data"] = [0.5] * case["data_count"]
    if "data_first" in case:
        tensor["data"] = [case["data_first"]] + DATA[1:]
    if "data_rows" in case:
        rows, width = case["data_rows"]
        tensor["data"] = [[0.5] * (28 if r < rows - 1 else width) for r in range(rows)]
    return tensor


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("case", corpus("inputs.json"))
def test_input_field(server, controls, case, protocol):
    body = json.dumps({"inputs": [build_input(case)]}).encode()
    status, answer = send(server, protocol, body)
    check_answer(status, answer, case, case["id"])


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("case", corpus("parameters.json"))
def test_parameters(server, controls, case, protocol):
    if protocol not in case.get("protocols", PROTOCOLS):
        pytest.skip(case["protocols_why"])
    request = {"inputs": [VALID_INPUT]}
    if "parameters" in case:
        request["parameters"] = case["parameters"]
    if "outputs" in case:
        request["outputs"] = case["outputs"]
    body = json.dumps(request).replace('"$DIGITS400"', DIGITS400).encode()
    headers = list(case.get("headers", {}).items())
    if not any(n == "zenith-latency-target-ms" for n, _ in headers) and "latency_target_ms" not in case.get(
            "parameters", {}):
        headers.append(("zenith-latency-target-ms", "60000"))
    status, answer = send(server, protocol, body, headers)
    check_answer(status, answer, case, case["id"])


def binary_request(case):
    tensor = {"name": "input", "datatype": "FP32", "shape": [1, 784], "parameters": {"binary_data_size": 3136}}
    tensor.update(case.get("header", {}))
    header = {"inputs": [tensor]}
    header.update(case.get("top", {}))
    text = json.dumps(header).encode()
    spec = case["binary"]
    if "floats" in spec:
        floats = np.full(spec["floats"], 0.5, dtype="<f4")
        values = {"nan": np.nan, "inf": np.inf, "-inf": -np.inf, "max": np.finfo(np.float32).max}
        for index, value in case.get("special", {}).items():
            floats[int(index)] = values[value]
        binary = floats.tobytes()
    else:
        binary = bytes(spec["bytes"])
    length = case["length"]
    match = re.fullmatch(r"(.*)\$JSON([+-]\d+)?(.*)", length)
    if match:
        length = f"{match.group(1)}{len(text) + int(match.group(2) or 0)}{match.group(3)}"
    return text + binary, length


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("case", corpus("binary.json"))
def test_binary_tensors(server, controls, case, protocol):
    if protocol not in case.get("protocols", PROTOCOLS):
        pytest.skip(case["protocols_why"])
    body, length = binary_request(case)
    headers = [("Inference-Header-Content-Length", length), ("Content-Type", "application/octet-stream")]
    status, answer = send(server, protocol, body, headers)
    if case.get("top", {}).get("parameters", {}).get("binary_data_output"):
        # A JSON header, then the 10 logits as raw FP32.
        assert status == 200 and np.isfinite(np.frombuffer(answer[-40:], dtype="<f4")).all(), answer[:200]
        return
    check_answer(status, answer, case, case["id"])


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("case", corpus("paths.json"))
def test_path(server, controls, case, protocol):
    path = case["path"].replace("$LONG_SEGMENT", "a" * 4000).replace("$DEEP_PATH", "/v2" * 2000)
    body = valid_body().encode() if case.get("body") else (b"" if case["method"] in ("POST", "PUT") else None)
    status, answer = send(server, protocol, body, path=path, method=case["method"])
    if case["method"] == "HEAD":
        assert status == case["status"] and answer == b""
        return
    check_answer(status, answer, case, case["id"])


# ----------------------------------------------------------------------------------------------
# Raw HTTP/1.1.

def chunked(body):
    return "".join(f"{len(body[i:i + 1000]):x}\r\n{body[i:i + 1000]}\r\n" for i in range(0, len(body), 1000)) + "0\r\n\r\n"


@pytest.mark.parametrize("case", corpus("http1.json"))
def test_http1_stream(server, controls, case):
    text = case["send"].replace("{host}", server.url)
    body = valid_body()
    settings = base64.urlsafe_b64encode(bytes.fromhex(case.get("settings_hex", ""))).decode().rstrip("=")
    text = (text.replace("$LEN", str(len(body))).replace("$BODY", body).replace("$LONG", "a" * 70_000)
            .replace("$CHUNKED_BODY", chunked(body)).replace("$SETTINGS", settings)
            .replace("$FILL_CHUNK", "a" * (MAX_BODY + 10)))
    expected = case["responses"]
    responses, closed = http1_exchange((server.host, server.port), text.encode("latin-1"), len(expected),
                                       expect_close=case.get("closed"))
    assert [r[0] for r in responses] == [e["status"] for e in expected], responses
    for (status, headers, answer), want in zip(responses, expected):
        if status >= 400:
            assert headers.get("content-type") == "application/json", headers
            assert "error" in json.loads(answer)
        if "error" in want:
            assert want["error"] in json.loads(answer)["error"], (json.loads(answer), want)
    if "closed" in case:
        assert closed == case["closed"], "connection closed" if closed else "connection left open"
    if "upgraded" in case:
        check_upgraded_stream(server, text.encode("latin-1"), case["upgraded"]["status"])


def check_upgraded_stream(server, raw, status):
    """After 101, the answer to the upgrading request comes on stream 1 of HTTP/2."""
    with socket.create_connection((server.host, server.port), timeout=TIMEOUT) as sock:
        sock.sendall(raw + PREFACE + settings_frame({}))
        data, _ = recv_until(sock, lambda d: b"\r\n\r\n" in d)
        assert data.startswith(b"HTTP/1.1 101")
        reader = FrameReader(sock)
        reader.buffer = data.split(b"\r\n\r\n", 1)[1]
        outcome = h2_outcome(sock, reader, want_streams=[1])
        assert outcome["responses"][1][0] == status, outcome


# ----------------------------------------------------------------------------------------------
# Raw HTTP/2.

def step_bytes(server, step, state):
    if "repeat" in step:
        return step_bytes(server, step["step"], state) * step["repeat"]
    if "raw" in step:
        return bytes.fromhex(step["raw"])
    if "settings" in step:
        return settings_frame(step["settings"])
    if "frame" in step:
        f = step["frame"]
        get_block = header_block(request_fields(server, "get /v2/health/live")).hex()
        field_block = header_block([("x-filler", "a" * 100)]).hex()
        if "payload_repeat" in f:
            payload = bytes.fromhex(f["payload_repeat"][0]) * f["payload_repeat"][1]
        else:
            payload = bytes.fromhex(f["payload_hex"].replace("$GET_BLOCK", get_block)
                                    .replace("$FIELD_BLOCK", field_block))
        return frame(f["type"], f["flags"], f["stream"], payload)
    if "headers" in step:
        h = step["headers"]
        extra = [(n, v.replace("$LONG", "a" * 70_000)) for n, v in h.get("extra", [])]
        fields = [tuple(f) for f in h["fields"]] if "fields" in h else request_fields(server, h["request"], extra)
        end_stream = h.get("end_stream", h.get("request", "").startswith("get"))
        block = header_block(fields)
        if len(block) <= 16384:
            flags = (0x1 if end_stream else 0) | (0x4 if h.get("end_headers", True) else 0)
            return frame("HEADERS", flags, h["stream"], block)
        # A block larger than a frame: HEADERS, then CONTINUATIONs, the last with END_HEADERS.
        pieces = [block[i:i + 16384] for i in range(0, len(block), 16384)]
        out = frame("HEADERS", 0x1 if end_stream else 0, h["stream"], pieces[0])
        for index, piece in enumerate(pieces[1:], start=2):
            out += frame("CONTINUATION", 0x4 if index == len(pieces) else 0, h["stream"], piece)
        return out
    if "data" in step:
        d = step["data"]
        body = {"valid": valid_body(), "$CHUNK16K": "a" * 16384}.get(d["body"], d["body"]).encode()
        return frame("DATA", 0x1 if d.get("end_stream") else 0, d["stream"], body)
    if "rapid_reset" in step:
        out = b""
        for i in range(step["rapid_reset"]):
            stream = 2 * i + 1
            out += frame("HEADERS", 0x4, stream, header_block(request_fields(server, "infer")))
            out += frame("RST_STREAM", 0, stream, struct.pack(">I", 8))
        return out
    if "open_streams" in step:
        state["opened"] = step["open_streams"]
        return b"".join(frame("HEADERS", 0x4, 2 * i + 1, header_block(request_fields(server, "infer")))
                        for i in range(step["open_streams"]))
    raise AssertionError(f"unknown step {step}")


@pytest.mark.parametrize("case", corpus("http2.json"))
def test_http2_frames(server, controls, case):
    sock, reader = h2_open(server, preface=case.get("preface", True), settings=not case.get("no_settings"),
                           ack=not case.get("no_ack"))
    state = {}
    with sock:
        out = b"".join(step_bytes(server, step, state) for step in case["steps"])
        try:
            sock.sendall(out)
        except (BrokenPipeError, ConnectionResetError):
            pass
        expect = case["expect"]
        if "http1" in expect:
            data, _ = recv_until(sock, lambda d: b"\r\n\r\n" in d)
            assert data.startswith(f"HTTP/1.1 {expect['http1']}".encode()), data[:100]
            return
        want, until = [], None
        if "response" in expect:
            want = [expect["response"]["stream"]]
        if "rst" in expect:
            want = [int(s) for s in expect["rst"]]
        if "rst_or_goaway" in expect:
            until = lambda o: o["rst"] or o["goaway"]
        if "refused" in expect:
            until = lambda o: len(o["rst"]) >= expect["refused"] or o["goaway"]
        if "responses" in expect:
            want = [int(s) for s in expect["responses"]]
        outcome = h2_outcome(sock, reader, want_streams=want, until=until)
        if "goaway" in expect:
            assert outcome["goaway"] == expect["goaway"], outcome
            assert h2_outcome(sock, reader)["closed"], "the connection stays open after GOAWAY"
        if "rst" in expect:
            got = {str(s): c for s, c in outcome["rst"].items()}
            assert got == expect["rst"], outcome
        if "rst_or_goaway" in expect:
            codes = set(outcome["rst"].values()) | {outcome["goaway"]}
            assert expect["rst_or_goaway"] in codes, outcome
        if "response" in expect:
            e = expect["response"]
            assert e["stream"] in outcome["responses"], outcome
            status, body = outcome["responses"][e["stream"]]
            check_answer(status, body, e, case["id"])
        if "refused" in expect:
            # The streams past SETTINGS_MAX_CONCURRENT_STREAMS (128), and only those.
            refused = sorted(s for s, code in outcome["rst"].items() if code == "REFUSED_STREAM")
            assert refused == [2 * i + 1 for i in range(state["opened"] - expect["refused"], state["opened"])], outcome
            assert outcome["goaway"] is None
        for stream, status in expect.get("responses", {}).items():
            assert outcome["responses"].get(int(stream), (None,))[0] == status, outcome
        for stream in expect.get("silent", []):
            assert stream not in outcome["responses"] and stream not in outcome["rst"], outcome
            assert outcome["goaway"] is None, outcome


def test_zero_window_reader_is_held_not_served_around(server, controls):
    """A client that grants no flow-control window gets its response headers but no body until
    it opens the window; meanwhile the server serves others (the controls) and keeps the answer."""
    answers_at_start = sum(c.answers for c in controls)
    sock, conn = h2_connect(server.url, window=0)
    with sock:
        conn.send_headers(1, request_fields(server, "infer"))
        h2_send_body(sock, conn, 1, valid_body().encode(), end_stream=True)
        status, body = None, b""
        deadline = time.monotonic() + TIMEOUT
        while status is None:
            assert time.monotonic() < deadline
            for event in conn.receive_data(sock.recv(65536)):
                if isinstance(event, h2.events.ResponseReceived):
                    status = int(dict(event.headers)[":status"])
                assert not isinstance(event, h2.events.DataReceived), "data sent into a zero window"
            sock.sendall(conn.data_to_send())
        # Nothing more arrives while the window is shut.
        readable, _, _ = select.select([sock], [], [], 0.5)
        if readable:
            for event in conn.receive_data(sock.recv(65536)):
                assert not isinstance(event, (h2.events.DataReceived, h2.events.StreamEnded)), event
        answered_meanwhile = sum(c.answers for c in controls) - answers_at_start
        conn.increment_flow_control_window(1 << 20, stream_id=1)
        conn.increment_flow_control_window(1 << 20)
        sock.sendall(conn.data_to_send())
        done = False
        while not done:
            for event in conn.receive_data(sock.recv(65536)):
                if isinstance(event, h2.events.DataReceived):
                    conn.acknowledge_received_data(event.flow_controlled_length, 1)
                    body += event.data
                done = done or isinstance(event, h2.events.StreamEnded)
            sock.sendall(conn.data_to_send())
    assert status == 200 and len(json.loads(body)["outputs"][0]["data"]) == 10
    assert answered_meanwhile > 0, "the controls were not served while this answer was held"


# ----------------------------------------------------------------------------------------------
# gRPC.

GRPC_CODES = {code.name: code.value[0] for code in grpc.StatusCode}


def grpc_message(case):
    if "hex" in case:
        return bytes.fromhex(case["hex"].replace("$DEEP_GROUP", "0b" * 200 + "0c" * 200))
    spec = case["infer"]
    request = service_pb2.ModelInferRequest(model_name=spec.get("model", MODEL))
    request.parameters["latency_target_ms"].double_param = 60000
    for key, value in spec.get("parameters", {}).items():
        if isinstance(value, str):
            request.parameters[key].string_param = value
        else:
            request.parameters[key].double_param = value
    if not spec.get("no_inputs"):
        request.inputs.add(name=spec.get("name", "input"), datatype=spec.get("datatype", "FP32"),
                           shape=spec.get("shape", [1, 784]))
        raw = np.full(784, 0.5, dtype="<f4")
        if "raw_nan_at" in spec:
            raw[spec["raw_nan_at"]] = np.nan
        raw = raw.tobytes()
        if "raw_bytes" in spec:
            raw = bytes(spec["raw_bytes"])
        request.raw_input_contents.append(raw)
    return request.SerializeToString()


@pytest.mark.parametrize("case", corpus("grpc.json"))
def test_grpc_call(server, controls, case):
    if "raw_body_hex" in case:
        body = bytes.fromhex(case["raw_body_hex"])
    else:
        message = grpc_message(case)
        framing = case.get("frame", {})
        length = framing.get("length", len(message) + framing.get("extra_length", 0))
        body = bytes([framing.get("flag", 0)]) + struct.pack(">I", length) + message
    fields = [(":method", "POST"), (":scheme", "http"), (":authority", server.url),
              (":path", f"/inference.GRPCInferenceService/{case['method']}"), ("content-type", "application/grpc"),
              ("te", "trailers")] + [tuple(h) for h in case.get("headers", [])]
    sock, reader = h2_open(server)
    with sock:
        out = frame("HEADERS", 0x4 | (0 if body else 0x1), 1, header_block(fields))
        for start in range(0, len(body), 16384):
            out += frame("DATA", 0x1 if start + 16384 >= len(body) else 0, 1, body[start:start + 16384])
        sock.sendall(out)
        trailers = {}
        while True:
            got = reader.next()
            assert got is not None, "closed without an answer"
            kind, flags, stream, payload = got
            if kind == FRAME_TYPES["HEADERS"] and stream == 1:
                fields = reader.headers(flags, payload)
                trailers.update(fields)
                if flags & 0x1:
                    break
            elif kind == FRAME_TYPES["RST_STREAM"] and stream == 1:
                raise AssertionError(f"stream reset with {CODE_NAMES.get(int.from_bytes(payload, 'big'))}")
            elif kind == FRAME_TYPES["DATA"] and stream == 1 and flags & 0x1:
                break
    assert trailers.get(":status") == "200", trailers
    assert trailers.get("grpc-status") == str(GRPC_CODES[case["status"]]), trailers
    message_text = urllib.parse.unquote(trailers.get("grpc-message", ""))
    assert case.get("message", "") in message_text, trailers


# ----------------------------------------------------------------------------------------------
# The operator API.

def operator_targets(server):
    with urllib.request.urlopen(f"http://{server.operator}/v2/slo/models/{MODEL}", timeout=TIMEOUT) as r:
        return json.loads(r.read())


@pytest.mark.parametrize("case", corpus("operator.json"))
def test_operator_body(server, controls, case):
    before = operator_targets(server)
    body = expand(case["body"]).encode("latin-1")
    raw = (f"POST /v2/slo/models/{MODEL} HTTP/1.1\r\nHost: {server.operator}\r\nContent-Type: application/json\r\n"
           f"Content-Length: {len(body)}\r\n\r\n").encode() + body
    host, port = server.operator.split(":")
    (response,), _ = http1_exchange((host, int(port)), raw, 1)
    check_answer(response[0], response[2], case, case["id"])
    assert operator_targets(server) == before, "a refused update changed the targets"


# ----------------------------------------------------------------------------------------------
# Last: the controls were served right throughout, and the server is alive and bounded.

def test_zz_controls_served_throughout_and_server_bounded(server, controls):
    baseline_rss = server.baseline_rss
    for control in controls:
        control.stop.set()
    for control in controls:
        control.thread.join(timeout=TIMEOUT)
    for control in controls:
        print(f"{control.protocol} control: {control.answers} answers, {len(control.failures)} failures")
        assert control.failures == [], control.failures[:5]
        assert control.answers >= 20, "the control barely ran"
    with urllib.request.urlopen(f"http://{server.url}/v2/health/live", timeout=TIMEOUT) as r:
        assert r.status == 200
    rss = rss_bytes(server.pid)
    print(f"RSS {baseline_rss / 1e6:.0f} MB at the start, {rss / 1e6:.0f} MB at the end")
    assert rss < baseline_rss + (200 << 20)
