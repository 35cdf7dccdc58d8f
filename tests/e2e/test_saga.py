"""The order saga end to end through the gateway (contract: order, inventory, payment, shipping, Events).

Needs the whole local stack (`stack` fixture): five services, their consumers, Kafka, PostgreSQL
and the gateway on :8080. Every request goes through the gateway. Orders are placed and read
through each route of the order service the stack has (``order_route``: /api/orders, and with
ORDER_IMPL=both also /api/order-go).
"""

from __future__ import annotations

import os
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

pytestmark = pytest.mark.e2e

SAGA_TIMEOUT = 60
# Inventory's own port (stock writes are not routed); another deployment's: MUSICCORP_E2E_INVENTORY_URL.
INVENTORY_DIRECT = os.environ.get("MUSICCORP_E2E_INVENTORY_URL", "http://127.0.0.1:5002")


@pytest.fixture(scope="module")
def api(stack, stack_secrets, order_route):
    """A small client for the gateway, with the admin's basic auth for staff-only writes; orders
    go through ``order_route``."""

    class Api:
        base = stack
        orders = f"{order_route}/orders"
        staff = (stack_secrets["DJANGO_SUPERUSER_USERNAME"], stack_secrets["DJANGO_SUPERUSER_PASSWORD"])

        def get(self, path, **kw):
            return requests.get(f"{self.base}{path}", timeout=15, **kw)

        def post(self, path, json=None, **kw):
            return requests.post(f"{self.base}{path}", json=json, timeout=15, **kw)

        def put(self, path, json=None, **kw):
            return requests.put(f"{self.base}{path}", json=json, timeout=15, **kw)

        def stock(self, sku):
            response = self.get(f"/api/inventory/stock/{sku}")
            assert response.status_code == 200, response.text
            return response.json()

        def new_album(self, on_hand: int) -> str:
            """A fresh SKU in catalog and inventory, so a test owns its stock."""
            sku = f"E2E-{uuid.uuid4().hex[:8].upper()}"
            album = {
                "sku": sku,
                "title": f"Test {sku}",
                "artist": "E2E",
                "genre": "test",
                "release_year": 2024,
                "price": "10.00",
                "currency": "EUR",
            }
            assert self.post("/api/catalog/albums", album, auth=self.staff).status_code == 201
            # Stock writes are not routable through the gateway (issue 8): inventory's own port.
            response = requests.put(f"{INVENTORY_DIRECT}/stock/{sku}", json={"on_hand": on_hand}, auth=self.staff, timeout=15)
            assert response.status_code in (200, 201), response.text
            return sku

        def place(self, sku, quantity=1, token="tok_visa", **kw):  # noqa: S107 -- the contract's test token
            body = {"customer_email": "e2e@example.com", "items": [{"sku": sku, "quantity": quantity}], "payment_token": token}
            return self.post(self.orders, body, **kw)

        def wait_for_status(self, order_id, wanted):
            deadline = time.monotonic() + SAGA_TIMEOUT
            while time.monotonic() < deadline:
                status = self.get(f"{self.orders}/{order_id}").json()["status"]
                if status == wanted:
                    return
                time.sleep(0.2)
            pytest.fail(f"order {order_id} is {status}, not {wanted}, after {SAGA_TIMEOUT}s")

        def wait_for_stock(self, sku, field, wanted):
            """Inventory consumes the saga's events on its own time, after the order's status moved."""
            deadline = time.monotonic() + SAGA_TIMEOUT
            while self.stock(sku)[field] != wanted and time.monotonic() < deadline:
                time.sleep(0.2)
            return self.stock(sku)

    return Api()


def test_happy_path_reaches_completed_with_payment_and_shipment(api):
    sku = api.new_album(on_hand=10)
    response = api.place(sku, quantity=2)
    assert response.status_code == 201, response.text
    order = response.json()
    assert order["status"] == "PENDING"
    assert order["total"] == "20.00"
    assert order["items"] == [{"sku": sku, "title": f"Test {sku}", "unit_price": "10.00", "quantity": 2, "line_total": "20.00"}]
    api.wait_for_status(order["id"], "COMPLETED")

    payments = api.get("/api/payments/payments", params={"order_id": order["id"]}).json()["results"]
    assert [(p["status"], p["amount"]) for p in payments] == [("SUCCEEDED", "20.00")]
    shipments = api.get("/api/shipping/shipments", params={"order_id": order["id"]}).json()["results"]
    assert len(shipments) == 1
    assert shipments[0]["tracking_number"]
    assert api.wait_for_stock(sku, "on_hand", 8) == {"sku": sku, "on_hand": 8, "reserved": 0, "available": 8}


def test_declined_payment_cancels_and_restores_the_stock(api):
    sku = api.new_album(on_hand=3)
    response = api.place(sku, quantity=2, token="tok_chargeDeclined")
    assert response.status_code == 201, response.text
    order_id = response.json()["id"]
    assert api.stock(sku)["available"] == 1
    api.wait_for_status(order_id, "CANCELLED")
    payments = api.get("/api/payments/payments", params={"order_id": order_id}).json()["results"]
    assert [(p["status"], p["reason"]) for p in payments] == [("DECLINED", "card_declined")]
    assert api.wait_for_stock(sku, "available", 3) == {"sku": sku, "on_hand": 3, "reserved": 0, "available": 3}


def test_not_enough_stock_is_409_and_nothing_stays_reserved_or_pending(api):
    sku = api.new_album(on_hand=1)
    email = f"short-{uuid.uuid4().hex[:6]}@example.com"
    body = {
        "customer_email": email,
        "items": [{"sku": "CD001", "quantity": 1}, {"sku": sku, "quantity": 2}],
        "payment_token": "tok_visa",
    }
    cd001_before = api.stock("CD001")["reserved"]
    response = api.post(api.orders, body)
    assert response.status_code == 409, response.text
    assert sku in response.json()["detail"]
    assert api.stock(sku)["reserved"] == 0
    assert api.stock("CD001")["reserved"] == cd001_before
    orders = api.get(api.orders, params={"customer_email": email}, auth=api.staff).json()["results"]
    assert orders == []


def test_idempotent_retry_returns_the_same_order_and_reserves_once(api):
    sku = api.new_album(on_hand=5)
    key = f"e2e-{uuid.uuid4()}"
    first = api.place(sku, quantity=2, headers={"Idempotency-Key": key})
    second = api.place(sku, quantity=2, headers={"Idempotency-Key": key})
    assert first.status_code == 201, first.text
    assert second.status_code in (200, 201), second.text
    assert second.json()["id"] == first.json()["id"]
    assert api.stock(sku)["on_hand"] - api.stock(sku)["available"] in (0, 2)  # 2 reserved, or 0 once shipped
    api.wait_for_status(first.json()["id"], "COMPLETED")
    assert api.wait_for_stock(sku, "on_hand", 3) == {"sku": sku, "on_hand": 3, "reserved": 0, "available": 3}


def test_twenty_concurrent_orders_for_the_last_five_units_never_oversell(api):
    sku = api.new_album(on_hand=5)
    with ThreadPoolExecutor(max_workers=20) as pool:
        responses = list(pool.map(lambda _: api.place(sku, quantity=1), range(20)))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] * 5 + [409] * 15, [r.text for r in responses if r.status_code not in (201, 409)]
    stock = api.stock(sku)
    assert stock["on_hand"] - stock["available"] <= 5
    assert stock["available"] >= 0
    for response in responses:
        if response.status_code == 201:
            api.wait_for_status(response.json()["id"], "COMPLETED")
    assert api.wait_for_stock(sku, "on_hand", 0) == {"sku": sku, "on_hand": 0, "reserved": 0, "available": 0}


BAD_ORDERS = [
    ("malformed JSON", b"{not json"),
    ("a list, not an object", b"[]"),
    ("empty items", {"customer_email": "a@example.com", "items": [], "payment_token": "tok_visa"}),
    ("items not a list", {"customer_email": "a@example.com", "items": "CD001", "payment_token": "tok_visa"}),
    ("quantity zero", {"customer_email": "a@example.com", "items": [{"sku": "CD001", "quantity": 0}], "payment_token": "t"}),
    ("negative quantity", {"customer_email": "a@example.com", "items": [{"sku": "CD001", "quantity": -3}], "payment_token": "t"}),
    ("huge quantity", {"customer_email": "a@example.com", "items": [{"sku": "CD001", "quantity": 10**30}], "payment_token": "t"}),
    (
        "quantity as text",
        {"customer_email": "a@example.com", "items": [{"sku": "CD001", "quantity": "two"}], "payment_token": "t"},
    ),
    (
        "unknown sku",
        {"customer_email": "a@example.com", "items": [{"sku": "NOPE999", "quantity": 1}], "payment_token": "tok_visa"},
    ),
    ("bad email", {"customer_email": "not-an-email", "items": [{"sku": "CD001", "quantity": 1}], "payment_token": "t"}),
    ("missing token", {"customer_email": "a@example.com", "items": [{"sku": "CD001", "quantity": 1}]}),
    ("item without sku", {"customer_email": "a@example.com", "items": [{"quantity": 1}], "payment_token": "t"}),
    ("sku as a number", {"customer_email": "a@example.com", "items": [{"sku": 12345, "quantity": 1}], "payment_token": "t"}),
]


@pytest.mark.parametrize(("case", "body"), BAD_ORDERS, ids=[case for case, _ in BAD_ORDERS])
def test_bad_order_input_is_a_4xx_json_error(api, case, body):
    if isinstance(body, bytes):
        response = requests.post(f"{api.base}{api.orders}", data=body, timeout=15, headers={"Content-Type": "application/json"})
    else:
        response = api.post(api.orders, body)
    assert 400 <= response.status_code < 500, f"{case}: {response.status_code} {response.text}"
    assert isinstance(response.json(), dict | list)


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/inventory/stock/CD001/reserve", {"order_id": "not-a-uuid", "quantity": 1}),
        ("/api/inventory/stock/CD001/reserve", {"order_id": str(uuid.uuid4()), "quantity": -1}),
        ("/api/inventory/stock/CD001/reserve", {"order_id": str(uuid.uuid4()), "quantity": 10**20}),
        ("/api/inventory/stock/CD001/release", {}),
    ],
)
def test_bad_inventory_input_is_a_4xx_json_error(api, path, body):
    response = api.post(path, body)
    assert 400 <= response.status_code < 500, response.text
    assert isinstance(response.json(), dict)


def test_unknown_ids_are_404_and_malformed_filters_400(api):
    assert api.get(f"{api.orders}/{uuid.uuid4()}").status_code == 404
    assert api.get(f"{api.orders}/not-a-uuid").status_code == 404
    assert api.get("/api/payments/payments", params={"order_id": "nope"}).status_code == 400
    assert api.get(api.orders, params={"status": "SHIPPED-ISH"}, auth=api.staff).status_code == 400
