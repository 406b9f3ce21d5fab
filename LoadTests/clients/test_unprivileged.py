"""The server as an ordinary user, as the container runs it (deploy/Containerfile): every
connection must work there, so no socket option may need a privilege (TCP_NODELAY set at the
socket level is SO_DEBUG, which does, and tests running as root would not notice). Run as
root, this test drops to `nobody` with setpriv."""
import os
import shutil
import stat
import sys
import tempfile
import urllib.request
from pathlib import Path

import pytest

from conftest import h2_connect

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from serving import ROOT, ZenithProcess  # noqa: E402

NOBODY = 65534


@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("setpriv") is None,
                    reason="needs root and setpriv to drop to an ordinary user (as an ordinary user "
                           "every other client test already runs the server unprivileged)")
def test_an_unprivileged_server_serves_http1_and_http2():
    # What the server reads, where `nobody` can read it (pytest's tmp_path is root's alone).
    tmp_path = Path(tempfile.mkdtemp(prefix="zenith-unprivileged-"))
    binary = tmp_path / "zenith"
    shutil.copy(os.environ.get("ZENITH_BIN", ROOT / ".build/release/zenith"), binary)
    shutil.copytree(ROOT / "Models" / "fashion-mlp", tmp_path / "models" / "fashion-mlp")
    shutil.copytree(ROOT / "Profiles", tmp_path / "profiles")
    for path in [tmp_path, *tmp_path.rglob("*")]:
        path.chmod(path.stat().st_mode | stat.S_IRGRP | stat.S_IROTH
                   | (stat.S_IXGRP | stat.S_IXOTH if path.is_dir() or path == binary else 0))
    server = ZenithProcess(
        ["--warmup-iterations", "0"], repository=tmp_path / "models", binary=binary, profiles=tmp_path / "profiles",
        prefix=["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"])
    try:
        with open(f"/proc/{server.pid}/status") as f:
            uid = next(line.split()[1] for line in f if line.startswith("Uid:"))
        assert int(uid) == NOBODY
        with urllib.request.urlopen(f"http://{server.url}/v2/health/ready", timeout=10) as r:
            assert r.status == 200
        sock, conn = h2_connect(server.url)
        conn.send_headers(1, [(":method", "GET"), (":scheme", "http"), (":authority", server.url),
                              (":path", "/v2/models/fashion-mlp/ready")], end_stream=True)
        sock.sendall(conn.data_to_send())
        sock.settimeout(10)
        status = None
        while status is None:
            data = sock.recv(65536)
            assert data, "the server closed the HTTP/2 connection"
            for event in conn.receive_data(data):
                if hasattr(event, "headers") and event.stream_id == 1:
                    status = dict(event.headers)[":status"]
        assert status == "200"
        sock.close()
    finally:
        code = server.stop()
        shutil.rmtree(tmp_path)
        assert code == 0, server.log()[-2000:]
