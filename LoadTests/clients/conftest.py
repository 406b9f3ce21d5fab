"""Starting and stopping a real `zenith serve` for the client tests."""
import contextlib
import os
import re
import select
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@contextlib.contextmanager
def zenith_server(repository, *flags):
    """`zenith serve` (the release build, or $ZENITH_BIN) on `repository`, listening on a port the
    kernel picks (read from its announcement); yields "127.0.0.1:PORT" and stops it with SIGTERM,
    which must end it cleanly."""
    binary = Path(os.environ.get("ZENITH_BIN", ROOT / ".build/release/zenith"))
    assert binary.exists(), f"{binary} not found: run `swift build -c release --product zenith` first"
    log = tempfile.TemporaryFile(mode="w+")
    process = subprocess.Popen(
        [str(binary), "serve", "--host", "127.0.0.1", "--port", "0", "--operator-port", "0",
         "--repository", str(repository), "--profiles", str(ROOT / "Profiles"), *flags],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=log, text=True)
    url = None
    deadline = time.monotonic() + 120
    while url is None and time.monotonic() < deadline and process.poll() is None:
        ready, _, _ = select.select([process.stdout], [], [], 1.0)
        if ready:
            match = re.search(r"on http://([\d.]+:\d+)", process.stdout.readline())
            url = match and match.group(1)
    if url is None:
        process.kill()
        log.seek(0)
        pytest.fail(f"zenith serve did not start:\n{log.read()[-3000:]}")
    try:
        yield url
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            code = process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            pytest.fail("zenith serve did not stop within 30 s of SIGTERM")
        log.seek(0)
        assert code == 0, f"zenith serve exited with {code}:\n{log.read()[-3000:]}"
