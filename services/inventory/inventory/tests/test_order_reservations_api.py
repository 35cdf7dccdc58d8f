"""An order's reservations in one request (issue 10): POST /reservations and /reservations/release.

All lines or none, idempotent per (order_id, sku) like the per-SKU reserve, a fixed number of
SQL statements whatever the number of lines; internal like reserve and release.
"""

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from inventory.models import Reservation, Stock
from inventory.tests.factories import StockFactory
from musiccorp_common.models import OutboxEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def order_client(service_client):
    return service_client("order")


@pytest.fixture
def shelf():
    for sku, on_hand in (("CD001", 10), ("CD002", 5), ("CD003", 1)):
        StockFactory(sku=sku, on_hand=on_hand)


def reserve(client, order_id, *lines):
    body = {"order_id": str(order_id), "lines": [{"sku": sku, "quantity": q} for sku, q in lines]}
    return client.post("/reservations", body, format="json")


def release(client, order_id, *skus):
    return client.post("/reservations/release", {"order_id": str(order_id), "skus": list(skus)}, format="json")


def reserved():
    return dict(Stock.objects.values_list("sku", "reserved"))


def test_every_line_is_reserved_in_one_request(order_client, shelf):
    order_id = uuid.uuid4()
    response = reserve(order_client, order_id, ("CD002", 2), ("CD001", 3))
    assert response.status_code == 200, response.content
    lines = [{"sku": "CD002", "quantity": 2}, {"sku": "CD001", "quantity": 3}]
    assert response.json() == {"order_id": str(order_id), "lines": lines}
    assert reserved() == {"CD001": 3, "CD002": 2, "CD003": 0}
    held = Reservation.objects.filter(order_id=order_id, status=Reservation.Status.RESERVED)
    assert sorted(held.values_list("sku", "quantity")) == [("CD001", 3), ("CD002", 2)]
    assert all(r.confirmed_at is None and r.release_cause == "" for r in held)


@pytest.mark.parametrize("lines", [1, 3, 20])
def test_the_statements_do_not_grow_with_the_lines(order_client, lines):
    for i in range(lines):
        StockFactory(sku=f"LN{i:03}", on_hand=5)
    with CaptureQueriesContext(connection) as queries:
        assert reserve(order_client, uuid.uuid4(), *[(f"LN{i:03}", 1) for i in range(lines)]).status_code == 200
    reservation_sql = [q["sql"] for q in queries if "inventory_" in q["sql"]]
    assert len(reservation_sql) == 3  # insert the reservations, lock the stock rows, update them


def test_a_short_line_is_409_naming_it_and_nothing_is_reserved(order_client, shelf):
    response = reserve(order_client, uuid.uuid4(), ("CD001", 1), ("CD003", 2), ("CD002", 1))
    assert response.status_code == 409
    assert response.json() == {"detail": "Not enough stock for CD003: 1 available.", "sku": "CD003"}
    assert reserved() == {"CD001": 0, "CD002": 0, "CD003": 0}
    assert not Reservation.objects.exists()


def test_an_unknown_sku_is_404_naming_it_and_nothing_is_reserved(order_client, shelf):
    response = reserve(order_client, uuid.uuid4(), ("CD001", 1), ("NOPE1", 1), ("CD003", 5))
    assert response.status_code == 404
    assert response.json()["sku"] == "NOPE1"
    assert reserved() == {"CD001": 0, "CD002": 0, "CD003": 0}
    assert not Reservation.objects.exists()


def test_a_repeat_reserves_nothing_more(order_client, shelf):
    order_id = uuid.uuid4()
    first = reserve(order_client, order_id, ("CD001", 2), ("CD002", 1))
    second = reserve(order_client, order_id, ("CD001", 2), ("CD002", 1))
    assert first.status_code == second.status_code == 200
    assert first.json() == second.json()
    assert reserved() == {"CD001": 2, "CD002": 1, "CD003": 0}
    assert Reservation.objects.count() == 2


def test_a_repeat_with_another_quantity_is_409_and_changes_nothing(order_client, shelf):
    order_id = uuid.uuid4()
    reserve(order_client, order_id, ("CD001", 2))
    response = reserve(order_client, order_id, ("CD002", 1), ("CD001", 3))
    assert response.status_code == 409
    assert response.json()["sku"] == "CD001"
    assert reserved() == {"CD001": 2, "CD002": 0, "CD003": 0}
    assert not Reservation.objects.filter(sku="CD002").exists()


def test_per_sku_and_order_reservations_agree(order_client, shelf):
    """A line reserved by the per-SKU endpoint counts as a repeat of the same line here."""
    order_id = uuid.uuid4()
    order_client.post("/stock/CD001/reserve", {"order_id": str(order_id), "quantity": 2}, format="json")
    assert reserve(order_client, order_id, ("CD001", 2), ("CD002", 1)).status_code == 200
    assert reserved() == {"CD001": 2, "CD002": 1, "CD003": 0}


def test_release_gives_every_line_back_in_one_request_and_publishes_once(order_client, shelf):
    order_id = uuid.uuid4()
    reserve(order_client, order_id, ("CD001", 2), ("CD002", 1))
    response = release(order_client, order_id, "CD001", "CD002")
    assert response.status_code == 200
    assert response.json() == {
        "order_id": str(order_id),
        "released": [{"sku": "CD001", "quantity": 2}, {"sku": "CD002", "quantity": 1}],
    }
    assert reserved() == {"CD001": 0, "CD002": 0, "CD003": 0}
    event = OutboxEvent.objects.get(event_type="stock.released")
    assert event.envelope["data"]["items"] == [{"sku": "CD001", "quantity": 2}, {"sku": "CD002", "quantity": 1}]
    again = release(order_client, order_id, "CD001", "CD002")
    assert again.json()["released"] == []
    assert OutboxEvent.objects.filter(event_type="stock.released").count() == 1


def test_release_is_final_a_late_reserve_of_any_line_is_refused(order_client, shelf):
    """order released after a timed-out reserve: the reserve, arriving late, must not hold anything."""
    order_id = uuid.uuid4()
    assert release(order_client, order_id, "CD001", "CD002", "NOPE1").json()["released"] == []
    response = reserve(order_client, order_id, ("CD001", 1), ("CD002", 1))
    assert response.status_code == 409
    assert reserved() == {"CD001": 0, "CD002": 0, "CD003": 0}
    assert not Reservation.objects.filter(sku="NOPE1").exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"lines": [{"sku": "CD001", "quantity": 1}]}, "order_id"),
        ({"order_id": 7, "lines": [{"sku": "CD001", "quantity": 1}]}, "order_id"),
        ({"order_id": "00000000-0000-0000-0000-000000000001", "lines": []}, "lines"),
        ({"order_id": "00000000-0000-0000-0000-000000000001", "lines": [{"sku": "CD001", "quantity": 0}]}, "lines"),
        ({"order_id": "00000000-0000-0000-0000-000000000001", "lines": [{"sku": "cd 1", "quantity": 1}]}, "lines"),
        (
            {"order_id": "00000000-0000-0000-0000-000000000001", "lines": [{"sku": "CD001", "quantity": 1}] * 2},
            "lines",
        ),
    ],
)
def test_invalid_reservation_is_400_with_the_field_named(order_client, shelf, body, field):
    response = order_client.post("/reservations", body, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not Reservation.objects.exists()


@pytest.mark.parametrize("path", ["/reservations", "/reservations/release"])
def test_only_the_order_service_or_staff_may_call_them(api_client, service_client, shelf, path):
    body = {"order_id": str(uuid.uuid4()), "lines": [{"sku": "CD001", "quantity": 1}], "skus": ["CD001"]}
    anonymous = api_client.post(path, body, format="json")
    assert anonymous.status_code == 401
    assert anonymous["WWW-Authenticate"].startswith("Bearer")
    assert "detail" in anonymous.json()
    assert service_client("payment").post(path, body, format="json").status_code == 403
    assert not Reservation.objects.exists()


def test_the_statements_name_the_models_tables():
    from inventory.models import Reservation

    assert (Reservation._meta.db_table, Stock._meta.db_table) == ("inventory_reservation", "inventory_stock")


def test_reservations_are_post_only(order_client):
    assert order_client.get("/reservations").status_code == 405
    assert order_client.get("/reservations/release").status_code == 405
