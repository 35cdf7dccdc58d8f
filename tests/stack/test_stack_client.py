"""ci/stack_client.place_order against a gateway of its own on loopback: what it sends (route, body,
the Idempotency-Key and X-Correlation-ID headers only when given) and what it makes of the answer.

The shop behind the real gateway is exercised by the load scripts (make bench, make chaos) and
tests/pods; here common's stand-in peer (``stub_peer``) records each request, so no stack is needed.
"""

from __future__ import annotations

import socket

import requests
import stack_client


def test_an_order_goes_to_the_given_gateway_with_its_keys(stub_peer):
    gateway = stub_peer(lambda request: (201, {"id": "order-1"}))
    got = stack_client.place_order(
        requests.Session(),
        "SKU-1",
        "a@example.com",
        "tok_chargeDeclined",
        gateway=gateway.url,
        idempotency_key="key-1",
        correlation_id="corr-1",
    )
    assert got == (201, "order-1", None)
    (request,) = gateway.requests
    assert (request.method, request.path) == ("POST", "/api/orders/orders")
    assert (request.idempotency_key, request.correlation_id) == ("key-1", "corr-1")
    items = [{"sku": "SKU-1", "quantity": 1}]
    assert request.body == {"customer_email": "a@example.com", "items": items, "payment_token": "tok_chargeDeclined"}


def test_without_keys_no_such_header_is_sent_and_a_refusal_is_an_error(stub_peer):
    gateway = stub_peer(lambda request: (400, {"detail": "no"}))
    got = stack_client.place_order(
        requests.Session(), "SKU-2", "b@example.com", quantity=3, route="/api/order-go", gateway=gateway.url
    )
    assert got == (400, None, "HTTP 400")
    (request,) = gateway.requests
    assert request.path == "/api/order-go/orders"
    assert (request.idempotency_key, request.correlation_id) == (None, None)
    assert request.body["items"] == [{"sku": "SKU-2", "quantity": 3}]
    assert request.body["payment_token"] == stack_client.TOKEN_VISA


def test_no_answer_is_no_status_and_the_errors_kind():
    with socket.socket() as bound:  # bound, not listening: the connection is refused
        bound.bind(("127.0.0.1", 0))
        gateway = f"http://127.0.0.1:{bound.getsockname()[1]}"
        got = stack_client.place_order(requests.Session(), "SKU-3", "c@example.com", gateway=gateway)
    assert got == (None, None, "ConnectionError")
