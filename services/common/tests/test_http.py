"""peer_session: default timeouts, the correlation id on every call, retries only where declared safe."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from musiccorp_common.correlation import use_correlation_id
from musiccorp_common.http import peer_session


class _Peer:
    """A local HTTP server answering each request with the next scripted status (then 200)."""

    def __init__(self, statuses):
        self.statuses = list(statuses)
        self.seen: list[tuple[str, str | None]] = []
        peer = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self):
                peer.seen.append((self.command, self.headers.get("X-Correlation-ID")))
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                status = peer.statuses.pop(0) if peer.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            do_GET = do_POST = _answer

            def log_message(self, format, *args):
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def peer():
    created = []

    def make(statuses=()):
        created.append(_Peer(statuses))
        return created[-1]

    yield make
    for server in created:
        server.close()


def test_the_current_correlation_id_travels_with_the_request(peer):
    server = peer()
    with use_correlation_id("corr-http-1"):
        assert peer_session().get(server.url).status_code == 200
    assert server.seen == [("GET", "corr-http-1")]


def test_gets_are_retried_on_503_and_the_last_answer_is_returned(peer):
    server = peer([503, 503, 503, 503])
    response = peer_session(retries=2, backoff_factor=0).get(server.url)
    assert response.status_code == 503
    assert len(server.seen) == 3


def test_posts_are_not_retried_unless_declared_safe(peer):
    server = peer([503, 503])
    assert peer_session(backoff_factor=0).post(server.url, json={}).status_code == 503
    assert len(server.seen) == 1
    safe = peer([503])
    assert peer_session(backoff_factor=0, retry_methods=frozenset({"POST"})).post(safe.url, json={}).status_code == 200
    assert len(safe.seen) == 2


def test_a_default_timeout_applies():
    session = peer_session(timeout=(0.5, 1.0))
    assert session.timeout == (0.5, 1.0)
