"""Plain clients for the fault scripts and tests: a JSON infer body, one HTTP/1.1 request on a
new connection, and HTTP/2 and HTTP/1.1 clients that keep requests in flight until the server
closes, recording what became of each (LoadTests/faults.py, LoadTests/clients/test_shutdown.py)."""
import http.client
import json
import socket
import threading
import time

import h2.config
import h2.connection
import h2.events
import h2.exceptions

from serving import ROOT


def infer_body(model, latency_ms=10.0, accuracy=None):
    """A JSON infer request of one zero image shaped for `model` (what the answer says does not
    matter here, only whether and when it comes)."""
    config = json.loads((ROOT / "Models" / model / "config.json").read_text())
    dims = config["inputs"][0]["dims"]
    count = 1
    for d in dims:
        count *= d
    params = {"latency_target_ms": latency_ms}
    if accuracy is not None:
        params["accuracy_target"] = accuracy
    return json.dumps({"inputs": [{"name": config["inputs"][0]["name"], "shape": [1, *dims], "datatype": "FP32",
                                   "data": [0.0] * count}], "parameters": params}).encode()


def http1_request(url, path, body=None, timeout=30, source=None):
    """(status, body bytes, seconds) on a new HTTP/1.1 connection."""
    host, port = url.split(":")
    started = time.monotonic()
    conn = http.client.HTTPConnection(host, int(port), timeout=timeout,
                                      source_address=(source, 0) if source else None)
    try:
        conn.request("POST" if body is not None else "GET", path, body=body,
                     headers={"Content-Type": "application/json"} if body is not None else {})
        response = conn.getresponse()
        data = response.read()
        return response.status, data, time.monotonic() - started
    finally:
        conn.close()


class GracefulH2Connection(h2.connection.H2Connection):
    """A graceful GOAWAY still answers the streams up to its last id, but python-h2 closes its
    state machine on any GOAWAY and refuses the frames that follow, even in the same read; this
    one keeps reading them, as nghttp2's or Go's client does."""

    def _receive_goaway_frame(self, frame):
        result = super()._receive_goaway_frame(frame)
        self.state_machine.state = h2.connection.ConnectionState.CLIENT_OPEN
        return result


def _answered(client):
    """Counts an answer; sets the client's `busy` event at its `busy_after`-th."""
    client.answers += 1
    if client.answers == client.busy_after:
        client.busy.set()


class H2Client(threading.Thread):
    """Keeps `depth` infer streams open on one HTTP/2 connection until the server closes it;
    records each stream's outcome and the GOAWAY's last-stream-id."""

    def __init__(self, url, path, body, depth=8):
        super().__init__(daemon=True)
        self.url, self.path, self.body, self.depth = url, path, body, depth
        self.streams = {}      # id -> "open" | status code | "reset"
        self.last_stream_id = None
        self.error = None
        self.answers = 0
        self.busy_after, self.busy = 100, threading.Event()   # set after that many answers

    def _open(self, conn):
        sid = conn.get_next_available_stream_id()
        host = self.url
        conn.send_headers(sid, [(":method", "POST"), (":scheme", "http"), (":authority", host), (":path", self.path),
                                ("content-type", "application/json"), ("content-length", str(len(self.body)))])
        conn.send_data(sid, self.body, end_stream=True)
        self.streams[sid] = "open"

    def run(self):
        host, port = self.url.split(":")
        sock = socket.create_connection((host, int(port)))
        conn = GracefulH2Connection(h2.config.H2Configuration(client_side=True, header_encoding="utf-8"))
        conn.initiate_connection()
        conn.increment_flow_control_window(1 << 24)
        sock.sendall(conn.data_to_send())
        statuses = {}
        try:
            for _ in range(self.depth):
                self._open(conn)
            sock.sendall(conn.data_to_send())
            while True:
                data = sock.recv(1 << 16)
                if not data:
                    return
                for event in conn.receive_data(data):
                    if isinstance(event, h2.events.ResponseReceived):
                        statuses[event.stream_id] = int(dict(event.headers)[":status"])
                    elif isinstance(event, h2.events.DataReceived):
                        conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
                    elif isinstance(event, h2.events.StreamEnded):
                        self.streams[event.stream_id] = statuses.get(event.stream_id, "no status")
                        _answered(self)
                        if self.last_stream_id is None:
                            self._open(conn)
                    elif isinstance(event, h2.events.StreamReset):
                        self.streams[event.stream_id] = "reset"
                    elif isinstance(event, h2.events.ConnectionTerminated):
                        self.last_stream_id = event.last_stream_id
                try:
                    sock.sendall(conn.data_to_send())
                except OSError:
                    return
        except Exception as e:   # recorded, so that a client's own failure shows in the report
            self.error = repr(e)
        finally:
            sock.close()


class H1Client(threading.Thread):
    """One request at a time on one keep-alive HTTP/1.1 connection until the server closes it."""

    def __init__(self, url, path, body):
        super().__init__(daemon=True)
        self.url, self.path, self.body = url, path, body
        self.answers = 0
        self.busy_after, self.busy = 100, threading.Event()   # set after that many answers
        self.answered = 0
        self.unanswered = 0   # the server closed with nothing written back
        self.cut = 0          # a response begun and not finished
        self.statuses = {}

    def run(self):
        host, port = self.url.split(":")
        conn = http.client.HTTPConnection(host, int(port), timeout=60)
        while True:
            try:
                conn.request("POST", self.path, body=self.body, headers={"Content-Type": "application/json"})
                response = conn.getresponse()
                response.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.unanswered += 1
                return
            except http.client.IncompleteRead:
                self.cut += 1
                return
            except OSError:
                return
            self.answered += 1
            self.statuses[response.status] = self.statuses.get(response.status, 0) + 1
            _answered(self)
            if response.getheader("connection", "").lower() == "close":
                return
