"""A stand-in HTTP peer on loopback, for testing code that calls other services over real HTTP."""

import json
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import NamedTuple


class PeerRequest(NamedTuple):
    method: str
    path: str
    body: object
    correlation_id: str | None
    authorization: str | None = None
    idempotency_key: str | None = None


Answer = Callable[[PeerRequest], tuple[int, object]]


class StubPeer:
    """Answers every request with ``answer(request)`` -> (status, JSON payload or raw bytes).

    Records each request in ``requests``; ``delay`` stalls every answer (to test timeouts).
    """

    def __init__(self, answer: Answer, delay: float = 0.0):
        self.requests: list[PeerRequest] = []
        peer = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self):
                raw_body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                request = PeerRequest(
                    self.command,
                    self.path,
                    json.loads(raw_body or b"null"),
                    self.headers.get("X-Correlation-ID"),
                    self.headers.get("Authorization"),
                    self.headers.get("Idempotency-Key"),
                )
                peer.requests.append(request)
                time.sleep(delay)
                status, payload = answer(request)
                raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            do_GET = do_POST = _answer

            def log_message(self, format, *args):  # the test output is not the place for access logs
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def by_path(routes: dict[str, tuple[int, object]]) -> Answer:
    """Answer by request path; unknown paths are 404."""
    return lambda request: routes.get(request.path, (404, {"detail": "Not found."}))


def statuses(scripted: list[int]) -> Answer:
    """Answer with the next scripted status (then 200), body ``{}``."""
    remaining = list(scripted)
    return lambda request: (remaining.pop(0) if remaining else 200, {})
