"""Progress lines on stderr: `[prepare] <step>: <what>`."""
import sys
import time

_T0 = time.time()


def say(msg):
    print(f"[prepare] {msg}", file=sys.stderr, flush=True)


class Every:
    """Calls `say` at most once every `seconds` (plus always on the last item)."""

    def __init__(self, step, seconds=5.0):
        self.step, self.seconds, self.last = step, seconds, time.time()

    def __call__(self, done, total, unit="samples"):
        now = time.time()
        if done >= total or now - self.last >= self.seconds:
            self.last = now
            say(f"{self.step}: {done}/{total} {unit}")
