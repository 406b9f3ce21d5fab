"""A `zenith serve` process for the scripts under LoadTests: started on ports the kernel picks
(read from its announcements, so nothing races for a port), its memory read from /proc, stopped
with SIGTERM."""
import atexit
import os
import queue
import re
import signal
import subprocess
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = ROOT / ".build/release"


class ZenithProcess:
    """`zenith serve --host 127.0.0.1 --port 0 --operator-port 0 FLAGS...` on `repository`;
    `prefix` (e.g. ["taskset", "-c", "0"]) goes before the binary. Its standard error is kept in
    a temporary file (`log()`), so a long run cannot block on a full pipe."""

    def __init__(self, flags=(), repository=ROOT / "Models", prefix=(), startup_timeout=180, binary=None,
                 profiles=ROOT / "Profiles"):
        binary = Path(binary or os.environ.get("ZENITH_BIN", BIN / "zenith"))
        if not binary.exists():
            raise SystemExit(f"{binary} not found: run `swift build -c release` first")
        self._log = tempfile.TemporaryFile(mode="w+")
        command = [*prefix, str(binary), "serve", "--host", "127.0.0.1", "--port", "0", "--operator-port", "0",
                   "--repository", str(repository), "--profiles", str(profiles), *flags]
        self.process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=self._log, text=True)
        # A script that fails halfway must not leave a server behind (with --idle-poll it would
        # keep a core busy and spoil every later measurement).
        atexit.register(self._kill_if_running)
        self.url = self.operator_url = None
        # A thread reads the announcements (a select on the pipe would miss a line already
        # buffered by the previous readline) and keeps draining standard output afterwards.
        lines = queue.Queue()
        threading.Thread(target=lambda: [lines.put(line) for line in self.process.stdout], daemon=True).start()
        deadline = time.monotonic() + startup_timeout
        while (self.url is None or self.operator_url is None) and time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                line = lines.get(timeout=1.0)
            except queue.Empty:
                continue
            if m := re.search(r"serving .* on http://([\d.]+:\d+)", line):
                self.url = m.group(1)
            elif m := re.search(r"operator API on http://([\d.]+:\d+)", line):
                self.operator_url = m.group(1)
        if self.url is None or self.operator_url is None:
            self.process.kill()
            raise SystemExit(f"zenith serve did not start:\n{self.log()[-3000:]}")

    def _kill_if_running(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    @property
    def pid(self):
        return self.process.pid

    def memory_kib(self):
        """(VmRSS, VmHWM) in KiB: resident now and its peak so far."""
        fields = {}
        with open(f"/proc/{self.pid}/status") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key in ("VmRSS", "VmHWM"):
                    fields[key] = int(value.split()[0])
        return fields["VmRSS"], fields["VmHWM"]

    def log(self):
        self._log.seek(0)
        return self._log.read()

    def terminate(self):
        self.process.send_signal(signal.SIGTERM)

    def stop(self, timeout=60):
        """SIGTERM, then the exit code (None: killed after `timeout` seconds)."""
        if self.process.poll() is None:
            self.terminate()
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            return None
