"""POST /orders as a client sees it (contract: order), with catalog and inventory stubbed."""

import json
import uuid

import pytest

from musiccorp_common.models import OutboxEvent
from orders.models import Order, OrderStatus

pytestmark = pytest.mark.django_db

GOOD = {
    "customer_email": "ann@example.com",
    "items": [{"sku": "CD001", "quantity": 2}, {"sku": "CD002", "quantity": 1}],
    "payment_token": "tok_visa",
}


def post(client, body, **headers):
    return client.post("/orders", body, format="json", headers=headers)


def test_an_order_is_placed_pending_with_catalog_prices(api_client, peers):
    _, inventory = peers
    response = post(api_client, GOOD)
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == {"id", "status", "customer_email", "items", "total", "currency", "created_at"}
    assert body["status"] == "PENDING"
    assert body["total"] == "47.97"
    assert body["currency"] == "EUR"
    assert body["items"] == [
        {"sku": "CD001", "title": "Kind of Blue", "unit_price": "14.99", "quantity": 2, "line_total": "29.98"},
        {"sku": "CD002", "title": "Abbey Road", "unit_price": "17.99", "quantity": 1, "line_total": "17.99"},
    ]
    assert inventory.reserved == {(body["id"], "CD001"): 2, (body["id"], "CD002"): 1}
    assert Order.objects.get(id=body["id"]).status == OrderStatus.PENDING


def test_order_placed_is_in_the_outbox_with_the_schema_data(api_client, peers):
    order_id = post(api_client, GOOD, **{"X-Correlation-ID": "corr-place-1"}).json()["id"]
    event = OutboxEvent.objects.get(event_type="order.placed")
    assert event.key == order_id
    assert event.envelope["correlation_id"] == "corr-place-1"
    assert event.envelope["data"] == {
        "order_id": order_id,
        "customer_email": "ann@example.com",
        "items": [
            {"sku": "CD001", "quantity": 2, "unit_price": "14.99"},
            {"sku": "CD002", "quantity": 1, "unit_price": "17.99"},
        ],
        "total": "47.97",
        "currency": "EUR",
        "payment_token": "tok_visa",
    }


def test_placing_an_order_calls_catalog_once_and_inventory_once(api_client, peers):
    """Issue 10: one price lookup and one reservation per order, whatever the number of lines."""
    catalog, inventory = peers
    catalog.albums["CD003"] = ("Rumours", "15.99", "EUR")
    inventory.stock["CD003"] = 4
    response = post(api_client, {**GOOD, "items": _items(("CD001", 1), ("CD002", 2), ("CD003", 3))})
    assert response.status_code == 201, response.content
    assert catalog.lookups == [["CD001", "CD002", "CD003"]]
    assert inventory.order_calls == [("reserve", response.json()["id"])]
    assert inventory.release_calls == []


def test_inventory_down_releases_every_line_in_one_call(api_client, peers):
    _, inventory = peers
    inventory.down_on = {"CD001"}
    assert post(api_client, GOOD).status_code == 503
    order_id = inventory.reserve_calls[0][1]
    assert inventory.order_calls == [("reserve", order_id), ("release", order_id)]


def test_duplicate_skus_are_merged_into_one_line(api_client, peers):
    body = {**GOOD, "items": [{"sku": "CD001", "quantity": 2}, {"sku": "CD001", "quantity": 3}]}
    response = post(api_client, body)
    assert response.status_code == 201
    assert [(i["sku"], i["quantity"], i["line_total"]) for i in response.json()["items"]] == [("CD001", 5, "74.95")]


def _items(*pairs):
    return [{"sku": sku, "quantity": quantity} for sku, quantity in pairs]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"customer_email": "not-an-email"}, "customer_email"),
        ({"customer_email": ""}, "customer_email"),
        ({"customer_email": None}, "customer_email"),
        ({"customer_email": "a" * 250 + "@example.com"}, "customer_email"),
        ({"items": []}, "items"),
        ({"items": "CD001"}, "items"),
        ({"items": {"sku": "CD001", "quantity": 1}}, "items"),
        ({"items": ["CD001"]}, "items"),
        ({"items": _items(*[(f"CD{n:03d}", 1) for n in range(51)])}, "items"),
        ({"items": _items(("CD001", 0))}, "items"),
        ({"items": _items(("CD001", -1))}, "items"),
        ({"items": _items(("CD001", 1001))}, "items"),
        ({"items": _items(("CD001", 10**30))}, "items"),
        ({"items": _items(("CD001", True))}, "items"),
        ({"items": _items(("CD001", "2"))}, "items"),
        ({"items": _items(("CD001", 2.0))}, "items"),
        ({"items": _items(("CD001", 2.5))}, "items"),
        ({"items": _items(("CD001", None))}, "items"),
        ({"items": _items(("CD001", 600), ("CD001", 600))}, "items"),
        ({"items": _items(("cd001", 1))}, "items"),
        ({"items": _items(("-CD001", 1))}, "items"),
        ({"items": _items(("C" * 33, 1))}, "items"),
        ({"items": _items(("CD/../x", 1))}, "items"),
        ({"items": [{"quantity": 1}]}, "items"),
        ({"items": [{"sku": "CD001"}]}, "items"),
        ({"payment_token": ""}, "payment_token"),
        ({"payment_token": "t" * 101}, "payment_token"),
        ({"payment_token": 123}, "payment_token"),
    ],
)
def test_bad_input_is_400_naming_the_field_and_reserves_nothing(api_client, peers, change, field):
    _, inventory = peers
    response = post(api_client, {**GOOD, **change})
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert inventory.reserve_calls == []
    assert not Order.objects.exists()


@pytest.mark.parametrize("missing", ["customer_email", "items", "payment_token"])
def test_a_missing_field_is_400(api_client, peers, missing):
    body = {key: value for key, value in GOOD.items() if key != missing}
    response = post(api_client, body)
    assert response.status_code == 400
    assert missing in response.json()


@pytest.mark.parametrize("raw", ["{not json", "[]", "null", "42", '"text"', '{"items": 1e999}', ""])
def test_malformed_or_wrongly_shaped_json_is_400(api_client, peers, raw):
    response = api_client.post("/orders", data=raw, content_type="application/json")
    assert response.status_code == 400
    assert response.json()


def test_unknown_sku_in_catalog_is_400_naming_it(api_client, peers):
    _, inventory = peers
    response = post(api_client, {**GOOD, "items": _items(("CD001", 1), ("CD999", 1))})
    assert response.status_code == 400
    assert "CD999" in response.json()["detail"]
    assert inventory.reserve_calls == []


def test_unknown_sku_in_inventory_is_400_and_releases_the_rest(api_client, peers):
    catalog, inventory = peers
    catalog.albums["CD003"] = ("Rumours", "15.99", "EUR")
    response = post(api_client, {**GOOD, "items": _items(("CD001", 1), ("CD003", 1))})
    assert response.status_code == 400
    assert "CD003" in response.json()["detail"]
    assert inventory.reserved == {}
    assert not Order.objects.exists()


def test_mixed_currencies_are_400(api_client, peers):
    catalog, _ = peers
    catalog.albums["CD002"] = ("Abbey Road", "17.99", "USD")
    response = post(api_client, GOOD)
    assert response.status_code == 400
    assert "currency" in response.json()["detail"]


def test_a_total_beyond_the_events_money_format_is_400(api_client, peers):
    catalog, inventory = peers
    catalog.albums["CD001"] = ("Box Set", "99999999.99", "EUR")
    response = post(api_client, {**GOOD, "items": _items(("CD001", 1000))})
    assert response.status_code == 400
    assert inventory.reserve_calls == []


def test_not_enough_stock_is_409_and_releases_earlier_reservations(api_client, peers):
    _, inventory = peers
    inventory.stock["CD002"] = 0
    response = post(api_client, GOOD)
    assert response.status_code == 409
    assert "CD002" in response.json()["detail"]
    assert [call[0] for call in inventory.reserve_calls] == ["CD001", "CD002"]
    # Inventory reserves an order's lines all or none (issue 10): after its 409 nothing is held to release.
    assert inventory.release_calls == []
    assert inventory.reserved == {}
    assert not Order.objects.exists()
    assert not OutboxEvent.objects.exists()


def test_inventory_down_is_503_and_nothing_stays_reserved_or_pending(api_client, peers):
    _, inventory = peers
    inventory.down_on = {"CD002"}
    response = post(api_client, GOOD)
    assert response.status_code == 503
    assert response.json() == {"detail": "The inventory service is temporarily unavailable."}
    order_id = inventory.reserve_calls[0][1]
    # The timed-out reservation may have happened: it is released too.
    assert sorted(inventory.release_calls) == [("CD001", order_id), ("CD002", order_id)]
    assert inventory.reserved == {}
    assert not Order.objects.exists()


def test_catalog_down_is_503_before_anything_is_reserved(api_client, peers):
    catalog, inventory = peers
    catalog.down = True
    response = post(api_client, GOOD)
    assert response.status_code == 503
    assert "catalog" in response.json()["detail"]
    assert inventory.reserve_calls == []


def test_a_failing_commit_releases_the_reservations(api_client, peers, monkeypatch):
    from orders import services

    _, inventory = peers

    def broken_publish(*args, **kwargs):
        raise RuntimeError("outbox broken")

    monkeypatch.setattr(services, "publish_event", broken_publish)
    api_client.raise_request_exception = False
    response = post(api_client, GOOD)
    assert response.status_code == 500
    assert inventory.reserved == {}
    assert not Order.objects.exists()


def test_an_idempotent_retry_returns_the_same_order_reserved_once(api_client, peers):
    _, inventory = peers
    first = post(api_client, GOOD, **{"Idempotency-Key": "retry-1"})
    second = post(api_client, GOOD, **{"Idempotency-Key": "retry-1"})
    assert first.status_code == second.status_code == 201
    assert second["Idempotent-Replayed"] == "true"
    assert first.json() == second.json()
    assert len(inventory.reserve_calls) == 2  # two lines, once each
    assert Order.objects.count() == 1
    assert OutboxEvent.objects.filter(event_type="order.placed").count() == 1


def test_different_keys_are_different_orders(api_client, peers):
    first = post(api_client, GOOD, **{"Idempotency-Key": "k-1"}).json()["id"]
    second = post(api_client, GOOD, **{"Idempotency-Key": "k-2"}).json()["id"]
    assert first != second


def test_the_same_key_with_another_body_is_422(api_client, peers):
    assert post(api_client, GOOD, **{"Idempotency-Key": "k-body"}).status_code == 201
    response = post(api_client, {**GOOD, "customer_email": "bob@example.com"}, **{"Idempotency-Key": "k-body"})
    assert response.status_code == 422
    assert "Idempotency-Key" in response.json()["detail"]


def test_a_key_whose_first_attempt_failed_can_be_retried(api_client, peers):
    _, inventory = peers
    inventory.stock["CD002"] = 0
    assert post(api_client, GOOD, **{"Idempotency-Key": "k-later"}).status_code == 409
    inventory.stock["CD002"] = 5
    assert post(api_client, GOOD, **{"Idempotency-Key": "k-later"}).status_code == 201


@pytest.mark.parametrize("key", ["", " ", "x" * 101, "caf\u00e9", "tab\there"])
def test_a_malformed_idempotency_key_is_400(api_client, peers, key):
    _, inventory = peers
    response = post(api_client, GOOD, **{"Idempotency-Key": key})
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()
    assert inventory.reserve_calls == []


def test_a_key_in_use_by_a_running_request_is_409(api_client, peers, monkeypatch):
    """A second request waits for the first with the same key; past the wait it is told to retry."""
    import psycopg
    from django.db import connection

    from orders import services

    monkeypatch.setattr(services, "IDEMPOTENCY_WAIT_SECONDS", 0.3)
    db = connection.settings_dict
    # The "first request": another connection holding the key's lock.
    lock_id = services.idempotency_lock_id("k-busy")
    with psycopg.connect(
        host=db["HOST"], port=db["PORT"], user=db["USER"], password=db["PASSWORD"], dbname=db["NAME"], autocommit=True
    ) as other:
        other.execute("SELECT pg_advisory_lock(%s)", [lock_id])
        response = post(api_client, GOOD, **{"Idempotency-Key": "k-busy"})
    assert response.status_code == 409
    assert "still being processed" in response.json()["detail"]
    _, inventory = peers
    assert inventory.reserve_calls == []


def test_orders_cannot_be_changed_or_deleted(api_client, peers):
    order_id = post(api_client, GOOD).json()["id"]
    for method in ("put", "patch", "delete"):
        response = getattr(api_client, method)(f"/orders/{order_id}", json.dumps({}), content_type="application/json")
        assert response.status_code == 405, method
    assert str(uuid.UUID(order_id)) == order_id


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_requests_with_one_key_reserve_once(peers):
    """The second request waits on the key's lock while the first reserves, then gets the same order."""
    import threading
    import time

    from django.db import connection
    from rest_framework.test import APIClient

    _, inventory = peers
    real_reserve = inventory.reserve

    def slow_reserve(*args):
        time.sleep(0.3)
        real_reserve(*args)

    inventory.reserve = slow_reserve
    responses = []

    def place():
        try:
            responses.append(post(APIClient(), GOOD, **{"Idempotency-Key": "k-race"}))
        finally:
            connection.close()

    threads = [threading.Thread(target=place) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert [r.status_code for r in responses] == [201, 201]
    assert responses[0].json()["id"] == responses[1].json()["id"]
    assert len(inventory.reserve_calls) == 2  # two lines, reserved by one request only
    assert Order.objects.count() == 1
