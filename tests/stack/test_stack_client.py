"""ci/stack_client.place_order against a gateway of its own on loopback: what it sends (route, body,
the Idempotency-Key and X-Correlation-ID headers only when given) and what it makes of the answer.

The shop behind the real gateway is exercised by the load scripts (make bench, make chaos) and
tests/pods; here a small HTTP server records each request, so no stack is needed.
"""

from __future__ import annotations

import http.server
import json
import socket
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "ci"))

import stack_client


class _Gateway(http.server.BaseHTTPRequestHandler):
    """Answers every POST with the status the test set, recording path, headers and body."""

    status = 201
    seen: list[dict] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.seen.append({"path": self.path, "headers": dict(self.headers), "body": body})
        answer = json.dumps({"id": "order-1"} if self.status == 201 else {"detail": "no"}).encode()
        self.send_response(self.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args) -> None:
        pass  # the test's output is its assertions


@pytest.fixture
def gateway() -> Iterator[str]:
    _Gateway.status, _Gateway.seen = 201, []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Gateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_an_order_goes_to_the_given_gateway_with_its_keys(gateway):
    got = stack_client.place_order(
        requests.Session(),
        "SKU-1",
        "a@example.com",
        "tok_chargeDeclined",
        gateway=gateway,
        idempotency_key="key-1",
        correlation_id="corr-1",
    )
    assert got == (201, "order-1", None)
    (request,) = _Gateway.seen
    assert request["path"] == "/api/orders/orders"
    assert request["headers"]["Idempotency-Key"] == "key-1"
    assert request["headers"]["X-Correlation-ID"] == "corr-1"
    items = [{"sku": "SKU-1", "quantity": 1}]
    assert request["body"] == {"customer_email": "a@example.com", "items": items, "payment_token": "tok_chargeDeclined"}


def test_without_keys_no_such_header_is_sent_and_a_refusal_is_an_error(gateway):
    _Gateway.status = 400
    got = stack_client.place_order(
        requests.Session(), "SKU-2", "b@example.com", quantity=3, route="/api/order-go", gateway=gateway
    )
    assert got == (400, None, "HTTP 400")
    (request,) = _Gateway.seen
    assert request["path"] == "/api/order-go/orders"
    assert "Idempotency-Key" not in request["headers"]
    assert "X-Correlation-ID" not in request["headers"]
    assert request["body"]["items"] == [{"sku": "SKU-2", "quantity": 3}]
    assert request["body"]["payment_token"] == stack_client.TOKEN_VISA


def test_no_answer_is_no_status_and_the_errors_kind():
    with socket.socket() as bound:  # bound, not listening: the connection is refused
        bound.bind(("127.0.0.1", 0))
        gateway = f"http://127.0.0.1:{bound.getsockname()[1]}"
        got = stack_client.place_order(requests.Session(), "SKU-3", "c@example.com", gateway=gateway)
    assert got == (None, None, "ConnectionError")
