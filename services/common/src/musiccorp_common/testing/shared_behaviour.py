"""What every service must do alike, as a test class each service's suite subclasses.

    class TestSharedBehaviour(SharedBehaviourTests):
        pass

Runs against the service's own Django project and its real database.
"""

import json
import logging
import logging.config
import socket
import uuid

import pytest


@pytest.mark.django_db
class SharedBehaviourTests:
    def test_health_answers_ok(self, client):
        response = client.get("/health")
        assert response.status_code == 200
        assert response.json() == {"status": "ok"}

    def test_readiness_checks_the_database(self, client):
        response = client.get("/health/ready")
        assert response.status_code == 200
        assert response.json()["checks"] == {"database": "ok"}

    def test_readiness_fails_when_the_database_is_unreachable(self, client, monkeypatch):
        from musiccorp_common import health

        monkeypatch.setattr(health, "_database_ok", lambda: False)
        response = client.get("/health/ready")
        assert response.status_code == 503
        assert response.json()["status"] == "unavailable"

    @pytest.mark.django_db(transaction=True)
    def test_an_unreachable_database_is_503_with_retry_after_and_recovers(self, client):
        from django.db import connection

        original_port = connection.settings_dict["PORT"]
        connection.close()
        connection.settings_dict["PORT"] = _closed_port()  # connections are refused, for real
        try:
            login = client.post("/admin/login/", {"username": "nobody", "password": "wrong"})
            ready = client.get("/health/ready")
            live = client.get("/health/live")
        finally:
            connection.close()
            connection.settings_dict["PORT"] = original_port
        assert login.status_code == 503
        assert login["Retry-After"].isdigit()
        assert "database" in login.json()["detail"]
        assert ready.status_code == 503
        assert live.status_code == 200
        assert client.get("/health/ready").status_code == 200, "recovers without a restart"

    def test_metrics_are_prometheus_text(self, client):
        client.get("/health")
        response = client.get("/metrics")
        assert response.status_code == 200
        body = response.content.decode()
        assert "# TYPE django_http_requests_total_by_method counter" in body or "django_http_requests" in body

    def test_correlation_id_is_echoed(self, client):
        sent = f"test-{uuid.uuid4()}"
        response = client.get("/health", HTTP_X_CORRELATION_ID=sent)
        assert response["X-Correlation-ID"] == sent

    def test_correlation_id_is_generated_when_absent(self, client):
        response = client.get("/health")
        assert uuid.UUID(response["X-Correlation-ID"])

    def test_malformed_correlation_id_is_replaced(self, client):
        response = client.get("/health", HTTP_X_CORRELATION_ID="bad id\nwith newline")
        assert uuid.UUID(response["X-Correlation-ID"])

    def test_unknown_path_is_json_404(self, client):
        response = client.get(f"/no-such-path-{uuid.uuid4()}")
        assert response.status_code == 404
        assert response.json() == {"detail": "Not found."}

    def test_request_log_is_json_with_correlation_id(self, client, capsys):
        from django.conf import settings

        logging.config.dictConfig(settings.LOGGING)
        client.get("/schema", HTTP_X_CORRELATION_ID="log-check-1")
        lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
        request_lines = [line for line in lines if line["logger"] == "musiccorp.request"]
        assert request_lines, "no request log line was written"
        assert request_lines[-1]["correlation_id"] == "log-check-1"
        assert request_lines[-1]["service"] == settings.SERVICE_NAME
        assert request_lines[-1]["status"] == 200

    def test_redirects_and_links_follow_the_gateway_prefix(self):
        # Through the gateway the service sees X-Forwarded-Prefix; the admin login redirect and
        # static file URLs must point back through the gateway, and directly they must not.
        through_gateway = call_wsgi("/admin/", {"HTTP_X_FORWARDED_PREFIX": "/api/example"})
        assert through_gateway.status.startswith("302")
        assert through_gateway.headers["Location"] == "/api/example/admin/login/?next=/api/example/admin/"
        login_page = call_wsgi("/admin/login/", {"HTTP_X_FORWARDED_PREFIX": "/api/example"})
        assert 'href="/api/example/static/admin/css/' in login_page.body
        direct = call_wsgi("/admin/", {})
        assert direct.headers["Location"] == "/admin/login/?next=/admin/"

    def test_openapi_schema_and_docs_are_served(self, client):
        schema = client.get("/schema", HTTP_ACCEPT="application/vnd.oai.openapi+json")
        assert schema.status_code == 200
        document = json.loads(schema.content)
        assert document["openapi"].startswith("3.")
        assert all(path == "/" or not path.endswith("/") for path in document["paths"]), "contract paths have no slash"
        assert client.get("/docs").status_code == 200


class _WsgiResult:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, dict(headers), body


def call_wsgi(path: str, extra_environ: dict) -> _WsgiResult:
    """Call the service's real WSGI application (not Django's test client, which skips it)."""
    import io

    from django.core.wsgi import get_wsgi_application

    from musiccorp_common.wsgi import ForwardedPrefixMiddleware

    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": io.StringIO(),
        **extra_environ,
    }
    captured = {}

    def start_response(status, headers, exc_info=None):
        captured["status"], captured["headers"] = status, headers

    body = b"".join(ForwardedPrefixMiddleware(get_wsgi_application())(environ, start_response))
    return _WsgiResult(captured["status"], captured["headers"], body.decode())


def _closed_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
