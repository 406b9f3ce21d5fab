"""What the client tests share: a real `zenith serve` started and stopped, the repository's
models as a client sees them, and the real Fashion-MNIST test images."""
import contextlib
import gzip
import json
import os
import re
import select
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import h2.config
import h2.connection
import h2.events
import h2.settings
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
DATASET = Path(os.environ.get("ZENITH_DATASET", "/usr/share/datasets/fashion-mnist"))
# Every model folder: its per-sample input dims and its tensors' names.
CONFIGS = {p.parent.name: json.loads(p.read_text()) for p in sorted((ROOT / "Models").glob("*/config.json"))}
MODELS = {name: c["inputs"][0]["dims"] for name, c in CONFIGS.items()}
INPUT = {name: c["inputs"][0]["name"] for name, c in CONFIGS.items()}
OUTPUT = {name: c["outputs"][0]["name"] for name, c in CONFIGS.items()}
# The machine may be busy: tests that check answers, not speed, send this latency target. Pass
# a copy (`dict(RELAXED)`): tritonclient's infer adds its own headers to the dict it is given.
RELAXED = {"zenith-latency-target-ms": "60000"}


def read_idx(path, header_bytes):
    with gzip.open(path, "rb") as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=header_bytes)


@pytest.fixture(scope="session")
def test_set():
    """(images float32 [10000, 28, 28] in [0, 1], labels int64)."""
    images = read_idx(DATASET / "t10k-images-idx3-ubyte.gz", 16).reshape(-1, 28, 28)
    labels = read_idx(DATASET / "t10k-labels-idx1-ubyte.gz", 8).astype(np.int64)
    return (images.astype(np.float32) / 255.0), labels


def batch_of(test_set, model, start, count):
    """`count` test images from `start`, shaped for `model`, and their labels."""
    images, labels = test_set
    x = images[start:start + count].reshape([count] + MODELS[model])
    return np.ascontiguousarray(x, dtype=np.float32), labels[start:start + count]


@contextlib.contextmanager
def zenith_server(repository, *flags):
    """`zenith serve` (the release build, or $ZENITH_BIN) on `repository`, listening on a port the
    kernel picks (read from its announcement); yields "127.0.0.1:PORT" and stops it with SIGTERM,
    which must end it cleanly."""
    with zenith_listeners(repository, *flags) as listeners:
        yield listeners["data"]


@contextlib.contextmanager
def zenith_listeners(repository, *flags):
    """`zenith_server`, yielding every listener it announces by name ("data", "operator",
    "health" with --health-port) as "127.0.0.1:PORT", and "pid", the server's process id."""
    binary = Path(os.environ.get("ZENITH_BIN", ROOT / ".build/release/zenith"))
    assert binary.exists(), f"{binary} not found: run `swift build -c release --product zenith` first"
    log = tempfile.TemporaryFile(mode="w+")
    process = subprocess.Popen(
        [str(binary), "serve", "--host", "127.0.0.1", "--port", "0", "--operator-port", "0",
         "--repository", str(repository), "--profiles", str(ROOT / "Profiles"), *flags],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=log)
    expected = {"data", "operator"} - ({"operator"} if "--no-operator" in flags else set())
    expected |= {"health"} if "--health-port" in flags else set()
    listeners = {}
    announced = b""
    deadline = time.monotonic() + 120
    while not expected <= listeners.keys() and time.monotonic() < deadline and process.poll() is None:
        # Read the pipe unbuffered: the lines come in one write, and a buffered reader would keep
        # the later ones where select cannot see them.
        ready, _, _ = select.select([process.stdout], [], [], 1.0)
        if ready:
            announced += os.read(process.stdout.fileno(), 4096)
            for match in re.finditer(rb"(serving .* on|operator API on|health on) http://([\d.]+:\d+)", announced):
                name = {b"operator API on": "operator", b"health on": "health"}.get(match.group(1), "data")
                listeners[name] = match.group(2).decode()
    if not expected <= listeners.keys():
        process.kill()
        log.seek(0)
        pytest.fail(f"zenith serve did not start:\n{log.read()[-3000:]}")
    try:
        yield {**listeners, "pid": process.pid}
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            code = process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            pytest.fail("zenith serve did not stop within 30 s of SIGTERM")
        log.seek(0)
        assert code == 0, f"zenith serve exited with {code}:\n{log.read()[-3000:]}"


def h2_connect(url, window=None):
    """(socket, h2 connection) to "HOST:PORT", preface sent; `window`: the streams' initial
    flow-control window the client grants the server (SETTINGS_INITIAL_WINDOW_SIZE)."""
    host, port = url.split(":")
    sock = socket.create_connection((host, int(port)))
    conn = h2.connection.H2Connection(config=h2.config.H2Configuration(client_side=True, header_encoding="utf-8"))
    conn.initiate_connection()
    if window is not None:
        conn.update_settings({h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: window})
    sock.sendall(conn.data_to_send())
    return sock, conn


def h2_send_body(sock, conn, stream, body, end_stream=False):
    """Sends `body` on `stream` as flow control allows, reading the server's WINDOW_UPDATEs
    meanwhile; the stream must stay open (a reset or GOAWAY fails the test)."""
    sent = 0
    while sent < len(body):
        window = min(conn.local_flow_control_window(stream), conn.max_outbound_frame_size)
        if window <= 0:
            for event in conn.receive_data(sock.recv(65536)):
                assert not isinstance(event, (h2.events.StreamReset, h2.events.ConnectionTerminated)), event
            sock.sendall(conn.data_to_send())
            continue
        chunk = body[sent:sent + window]
        sent += len(chunk)
        conn.send_data(stream, chunk, end_stream=end_stream and sent == len(body))
        sock.sendall(conn.data_to_send())
