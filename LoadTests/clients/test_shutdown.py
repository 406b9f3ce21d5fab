"""SIGTERM under load loses no accepted request: every HTTP/2 stream the server's GOAWAY kept
(id <= its last-stream-id) is answered, over several connections busy at the moment of the
signal, and no HTTP/1.1 response is cut. The clients keep opening streams until they see the
GOAWAY, so the server has their newer frames unread when it closes: closed plainly, the kernel's
RST would destroy the answers still in flight; the server closes lingering. The race needs a
busy machine to show, hence several trials."""
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from load_clients import H1Client, H2Client, infer_body  # noqa: E402
from serving import ZenithProcess  # noqa: E402


@pytest.mark.parametrize("trial", range(4))
def test_sigterm_under_load_loses_no_accepted_request(trial):
    server = ZenithProcess(["--workers", "1", "--idle-poll"])
    body = infer_body("fashion-cnn", latency_ms=60000)
    path = "/v2/models/fashion-cnn/infer"
    h2_clients = [H2Client(server.url, path, body) for _ in range(4)]
    h1_clients = [H1Client(server.url, path, body) for _ in range(2)]
    for c in h2_clients + h1_clients:
        c.start()
    for c in h2_clients + h1_clients:
        assert c.busy.wait(timeout=60), "a client had no answers"   # all mid-stream now
    code = server.stop(timeout=60)
    for c in h2_clients + h1_clients:
        c.join(timeout=30)
        assert not c.is_alive()
    assert code == 0, server.log()[-2000:]
    for c in h2_clients:
        assert c.error is None, c.error
        assert c.last_stream_id is not None, "no GOAWAY before the connection closed"
        lost = {sid: outcome for sid, outcome in c.streams.items() if sid <= c.last_stream_id and outcome != 200}
        assert not lost, f"streams the GOAWAY (last id {c.last_stream_id}) kept but did not answer: {lost}"
    for c in h1_clients:
        assert c.cut == 0 and c.unanswered <= 1 and set(c.statuses) == {200}, vars(c)
