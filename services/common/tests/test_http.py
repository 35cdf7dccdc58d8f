"""peer_session: default timeouts, the correlation id on every call, retries only where declared safe."""

from musiccorp_common.correlation import use_correlation_id
from musiccorp_common.http import peer_session
from musiccorp_common.testing.http import statuses


def test_the_current_correlation_id_travels_with_the_request(stub_peer):
    server = stub_peer(statuses([]))
    with use_correlation_id("corr-http-1"):
        assert peer_session().get(server.url).status_code == 200
    assert [(r.method, r.correlation_id) for r in server.requests] == [("GET", "corr-http-1")]


def test_gets_are_retried_on_503_and_the_last_answer_is_returned(stub_peer):
    server = stub_peer(statuses([503, 503, 503, 503]))
    response = peer_session(retries=2, backoff_factor=0).get(server.url)
    assert response.status_code == 503
    assert len(server.requests) == 3


def test_posts_are_not_retried_unless_declared_safe(stub_peer):
    server = stub_peer(statuses([503, 503]))
    assert peer_session(backoff_factor=0).post(server.url, json={}).status_code == 503
    assert len(server.requests) == 1
    safe = stub_peer(statuses([503]))
    assert peer_session(backoff_factor=0, retry_methods=frozenset({"POST"})).post(safe.url, json={}).status_code == 200
    assert len(safe.requests) == 2


def test_a_default_timeout_applies():
    session = peer_session(timeout=(0.5, 1.0))
    assert session.timeout == (0.5, 1.0)


def test_the_environments_proxy_is_not_used(stub_peer, monkeypatch):
    """trust_env is off: peers are reached directly, and requests skips the per-request environment lookups."""
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.setenv("NO_PROXY", "")
    server = stub_peer(statuses([]))
    session = peer_session(retries=0)
    assert session.trust_env is False
    assert session.get(server.url).status_code == 200
