"""What the gateway refuses (issue 8 items 1 and 6; contract "Security"): the gateway part of the
e2e table of forbidden requests.

Each row goes through the local gateway with no or staff credentials and must answer the listed
4xx with a JSON body and an X-Correlation-ID; afterwards stock and orders are read on the
services' own loopback ports (inventory 5002, order 5003, or order-go's 5006 with ORDER_IMPL=go)
and must be unchanged. The rate-limit
tests send from their own loopback source addresses (127.0.0.2, 127.0.0.3), so they exhaust only
those clients' budgets and the rest of the suite, on 127.0.0.1, keeps its own.
"""

from __future__ import annotations

import base64
import http.client
import json
import uuid

import pytest
import requests

from .conftest import ORDER_DIRECT, django_order_only

pytestmark = pytest.mark.e2e

GATEWAY_HOST, GATEWAY_PORT = "127.0.0.1", 8080
CATALOG_DIRECT = "http://127.0.0.1:5001"
INVENTORY_DIRECT = "http://127.0.0.1:5002"
BODY_SIZE_LIMIT = 1024 * 1024  # gateway.bodySizeLimit: 1m


@pytest.fixture(scope="module")
def staff(stack_secrets) -> tuple[str, str]:
    return stack_secrets["DJANGO_SUPERUSER_USERNAME"], stack_secrets["DJANGO_SUPERUSER_PASSWORD"]


@pytest.fixture(scope="module")
def sku(stack, staff) -> str:
    """A fresh SKU with stock, created on the services' own ports (writes are not routable)."""
    sku = f"EDGE-{uuid.uuid4().hex[:8].upper()}"
    album = {"sku": sku, "title": "Edge", "artist": "E2E", "genre": "test", "release_year": 2024}
    album |= {"price": "5.00", "currency": "EUR"}
    assert requests.post(f"{CATALOG_DIRECT}/albums", json=album, auth=staff, timeout=10).status_code == 201
    response = requests.put(f"{INVENTORY_DIRECT}/stock/{sku}", json={"on_hand": 7}, auth=staff, timeout=10)
    assert response.status_code in (200, 201), response.text
    return sku


def _stock(sku: str) -> dict:
    response = requests.get(f"{INVENTORY_DIRECT}/stock/{sku}", timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def _order_count(staff: tuple[str, str]) -> int:
    response = requests.get(f"{ORDER_DIRECT}/orders", auth=staff, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()["count"]


def _send(method: str, path: str, body: bytes | None = None, source: str = "127.0.0.1", headers=None):
    """One request to the gateway from the loopback address `source`: (status, headers, body)."""
    conn = http.client.HTTPConnection(GATEWAY_HOST, GATEWAY_PORT, timeout=15, source_address=(source, 0))
    try:
        conn.request(method, path, body=body, headers={"Content-Type": "application/json", **(headers or {})})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def _forbidden_table(sku: str) -> list[tuple[str, str, dict | None, int]]:
    order_id = str(uuid.uuid4())
    stock = f"/api/inventory/stock/{sku}"
    return [
        ("POST", f"{stock}/reserve", {"order_id": order_id, "quantity": 7}, 405),
        ("POST", f"{stock}/release", {"order_id": order_id}, 405),
        ("POST", "/api/inventory/reservations", {"order_id": order_id, "lines": [{"sku": sku, "quantity": 7}]}, 405),
        ("POST", "/api/inventory/reservations/release", {"order_id": order_id, "skus": [sku]}, 405),
        ("PUT", stock, {"on_hand": 0}, 405),
        ("PATCH", stock, {"on_hand": 0}, 405),
        ("DELETE", stock, None, 405),
        ("POST", "/api/inventory/stock", {"sku": sku, "on_hand": 0}, 405),
        ("GET", "/api/inventory/metrics", None, 404),
        ("GET", "/api/orders/metrics", None, 404),
        ("GET", "/api/inventory/admin/", None, 404),
        ("GET", "/api/catalog/admin/", None, 404),
        ("GET", "/metrics", None, 404),
        ("GET", "/api/unknown/thing", None, 404),
    ]


def test_forbidden_requests_are_refused_and_change_nothing(sku, staff):
    before_stock, before_orders = _stock(sku), _order_count(staff)
    # Staff credentials do not open a write through the edge either.
    auth = "Basic " + base64.b64encode(":".join(staff).encode()).decode()
    for method, path, body, wanted in _forbidden_table(sku):
        for headers in ({}, {"Authorization": auth}):
            payload = None if body is None else json.dumps(body).encode()
            status, response_headers, text = _send(method, path, payload, headers=headers)
            assert status == wanted, f"{method} {path}: {status} {text!r}"
            assert isinstance(json.loads(text), dict), f"{method} {path}: not JSON: {text!r}"
            assert response_headers.get("X-Correlation-ID"), f"{method} {path}: no correlation id"
    assert _stock(sku) == before_stock
    assert _order_count(staff) == before_orders


def test_inventory_reads_still_pass(sku):
    for method in ("GET", "HEAD"):
        status, _, _ = _send(method, f"/api/inventory/stock/{sku}")
        assert status == 200


def test_oversized_body_is_413_json_and_places_no_order(sku, staff):
    before = _order_count(staff)
    body = json.dumps({"customer_email": "big@example.com", "items": [], "pad": "x" * BODY_SIZE_LIMIT}).encode()
    status, headers, text = _send("POST", "/api/orders/orders", body, source="127.0.0.4")
    assert status == 413, text
    assert json.loads(text) == {"detail": "request body too large"}
    assert headers.get("X-Correlation-ID")
    assert _order_count(staff) == before


def _flood(method: str, path: str, body: bytes, source: str, count: int) -> list[int]:
    return [_send(method, path, body, source=source)[0] for _ in range(count)]


def test_order_placement_rate_limit_answers_429_and_spares_other_clients(sku, staff):
    before_orders, before_stock = _order_count(staff), _stock(sku)
    # An invalid order (no items) is a 400 from the service: it counts against the limit but
    # creates nothing, so the flood leaves stock and orders as they were.
    invalid = json.dumps({"customer_email": "flood@example.com", "items": []}).encode()
    statuses = _flood("POST", "/api/orders/orders", invalid, source="127.0.0.3", count=120)
    limited = statuses.count(429)
    print(f"order placement from 127.0.0.3: {limited} of {len(statuses)} answered 429")
    assert set(statuses) <= {400, 429}, statuses
    assert statuses[0] == 400, "the first requests are within the burst"
    assert limited >= 20, statuses
    status, headers, text = _send("POST", "/api/orders/orders", invalid, source="127.0.0.3")
    assert status == 429
    assert json.loads(text)["detail"]
    assert headers.get("X-Correlation-ID")
    assert headers.get("Retry-After")
    # Another client, and other paths of the same client, are not limited.
    assert _send("POST", "/api/orders/orders", invalid)[0] == 400
    assert _send("GET", f"/api/inventory/stock/{sku}", source="127.0.0.3")[0] == 200
    assert _send("GET", "/api/catalog/albums", source="127.0.0.3")[0] == 200
    assert _order_count(staff) == before_orders
    assert _stock(sku) == before_stock


@django_order_only
def test_admin_login_rate_limit_answers_429(stack):
    form = b"username=admin&password=wrong-" + uuid.uuid4().hex.encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    statuses = []
    for _ in range(60):
        conn = http.client.HTTPConnection(GATEWAY_HOST, GATEWAY_PORT, timeout=15, source_address=("127.0.0.2", 0))
        try:
            conn.request("POST", "/api/orders/admin/login/", body=form, headers=headers)
            statuses.append(conn.getresponse().status)
        finally:
            conn.close()
    limited = statuses.count(429)
    print(f"admin login from 127.0.0.2: {limited} of {len(statuses)} answered 429")
    assert 429 not in statuses[:10], statuses
    assert limited >= 20, statuses
    # The login page itself (GET) is not counted, and 127.0.0.1 still logs in (test_admin_login).
    assert _send("GET", "/api/orders/admin/login/", source="127.0.0.2")[0] == 200
