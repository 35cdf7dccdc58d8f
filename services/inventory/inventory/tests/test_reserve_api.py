"""Reserving and releasing stock over HTTP: the order service's calls (contract: inventory).

Who may call them is tested in test_internal_auth.py; here the caller is the order service.
"""

import uuid

import pytest

from inventory.models import Reservation, Stock
from inventory.tests.factories import ReservationFactory, StockFactory
from musiccorp_common.models import OutboxEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def order_client(service_client):
    return service_client("order")


def reserve(client, sku, order_id, quantity):
    return client.post(f"/stock/{sku}/reserve", {"order_id": str(order_id), "quantity": quantity}, format="json")


def release(client, sku, order_id):
    return client.post(f"/stock/{sku}/release", {"order_id": str(order_id)}, format="json")


def test_reserve_holds_units_and_answers_with_the_stock(order_client):
    StockFactory(sku="CD001", on_hand=10)
    order_id = uuid.uuid4()
    response = reserve(order_client, "CD001", order_id, 3)
    assert response.status_code == 200
    expected = {"sku": "CD001", "order_id": str(order_id), "quantity": 3, "on_hand": 10, "reserved": 3, "available": 7}
    assert response.json() == expected
    reservation = Reservation.objects.get(order_id=order_id, sku="CD001")
    assert (reservation.quantity, reservation.status) == (3, Reservation.Status.RESERVED)


def test_not_enough_stock_is_409_with_the_available_count(order_client):
    StockFactory(sku="CD002", on_hand=5, reserved=3)
    response = reserve(order_client, "CD002", uuid.uuid4(), 3)
    assert response.status_code == 409
    assert response.json() == {"detail": "Not enough stock for CD002: 2 available."}
    assert Stock.objects.get(sku="CD002").reserved == 3
    assert not Reservation.objects.exists()


def test_exactly_the_available_units_can_be_reserved(order_client):
    StockFactory(sku="CD003", on_hand=5, reserved=3)
    assert reserve(order_client, "CD003", uuid.uuid4(), 2).json()["available"] == 0


def test_reserve_of_unknown_sku_is_404(order_client):
    response = reserve(order_client, "NOPE1", uuid.uuid4(), 1)
    assert response.status_code == 404
    assert "detail" in response.json()
    assert not Reservation.objects.exists()


def test_repeated_reserve_returns_200_and_reserves_nothing_more(order_client):
    StockFactory(sku="CD004", on_hand=10)
    order_id = uuid.uuid4()
    first = reserve(order_client, "CD004", order_id, 4)
    second = reserve(order_client, "CD004", order_id, 4)
    assert second.status_code == 200
    assert second.json() == first.json()
    assert Stock.objects.get(sku="CD004").reserved == 4
    assert Reservation.objects.filter(order_id=order_id).count() == 1


def test_repeat_with_another_quantity_is_409_and_changes_nothing(order_client):
    StockFactory(sku="CD005", on_hand=10)
    order_id = uuid.uuid4()
    reserve(order_client, "CD005", order_id, 4)
    response = reserve(order_client, "CD005", order_id, 5)
    assert response.status_code == 409
    assert "already reserved 4 of CD005" in response.json()["detail"]
    assert Stock.objects.get(sku="CD005").reserved == 4


def test_reserve_after_release_is_409(order_client):
    StockFactory(sku="CD006", on_hand=10)
    order_id = uuid.uuid4()
    reserve(order_client, "CD006", order_id, 2)
    release(order_client, "CD006", order_id)
    response = reserve(order_client, "CD006", order_id, 2)
    assert response.status_code == 409
    assert "was released" in response.json()["detail"]
    assert Stock.objects.get(sku="CD006").reserved == 0


def test_two_orders_reserve_independently(order_client):
    StockFactory(sku="CD007", on_hand=10)
    reserve(order_client, "CD007", uuid.uuid4(), 4)
    assert reserve(order_client, "CD007", uuid.uuid4(), 4).json()["reserved"] == 8


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"order_id": "not-a-uuid", "quantity": 1}, "order_id"),
        ({"order_id": 12, "quantity": 1}, "order_id"),
        ({"quantity": 1}, "order_id"),
        ({"order_id": "6f1c1f51-93fb-4c55-a8a6-5b1ac1e0f3a1", "quantity": 0}, "quantity"),
        ({"order_id": "6f1c1f51-93fb-4c55-a8a6-5b1ac1e0f3a1", "quantity": -3}, "quantity"),
        ({"order_id": "6f1c1f51-93fb-4c55-a8a6-5b1ac1e0f3a1", "quantity": 1001}, "quantity"),
        ({"order_id": "6f1c1f51-93fb-4c55-a8a6-5b1ac1e0f3a1", "quantity": 10**20}, "quantity"),
        ({"order_id": "6f1c1f51-93fb-4c55-a8a6-5b1ac1e0f3a1", "quantity": "two"}, "quantity"),
        ({"order_id": "6f1c1f51-93fb-4c55-a8a6-5b1ac1e0f3a1", "quantity": 1.5}, "quantity"),
        ({"order_id": "6f1c1f51-93fb-4c55-a8a6-5b1ac1e0f3a1"}, "quantity"),
    ],
)
def test_invalid_reserve_is_400_with_the_field_named(order_client, body, field):
    StockFactory(sku="CD008", on_hand=10)
    response = order_client.post("/stock/CD008/reserve", body, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert Stock.objects.get(sku="CD008").reserved == 0


@pytest.mark.parametrize("raw", ["{not json", "[1, 2]", '"text"', "null", ""])
def test_malformed_reserve_body_is_4xx_json(order_client, raw):
    StockFactory(sku="CD009", on_hand=10)
    response = order_client.post("/stock/CD009/reserve", data=raw, content_type="application/json")
    assert response.status_code == 400
    assert response.json()


def test_non_json_content_type_is_415(order_client):
    StockFactory(sku="CD010", on_hand=10)
    response = order_client.post("/stock/CD010/reserve", data="order_id=x", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415
    assert "detail" in response.json()


def test_release_gives_the_units_back_and_publishes_stock_released(order_client):
    reservation = ReservationFactory(sku=StockFactory(sku="CD011", on_hand=10).sku, quantity=3)
    response = release(order_client, "CD011", reservation.order_id)
    assert response.status_code == 200
    assert response.json() == {
        "sku": "CD011",
        "order_id": str(reservation.order_id),
        "released": 3,
        "on_hand": 10,
        "reserved": 0,
        "available": 10,
    }
    reservation.refresh_from_db()
    assert reservation.status == Reservation.Status.RELEASED
    event = OutboxEvent.objects.get(event_type="stock.released")
    assert event.key == str(reservation.order_id)
    assert event.envelope["data"] == {"order_id": str(reservation.order_id), "items": [{"sku": "CD011", "quantity": 3}]}


def test_release_is_idempotent(order_client):
    reservation = ReservationFactory(sku=StockFactory(sku="CD012", on_hand=10).sku, quantity=3)
    release(order_client, "CD012", reservation.order_id)
    again = release(order_client, "CD012", reservation.order_id)
    assert again.status_code == 200
    assert again.json()["released"] == 0
    assert again.json()["reserved"] == 0
    assert OutboxEvent.objects.filter(event_type="stock.released").count() == 1


def test_release_without_a_reservation_releases_nothing_and_refuses_a_later_reserve(order_client):
    StockFactory(sku="CD013", on_hand=10, reserved=2)
    order_id = uuid.uuid4()
    response = release(order_client, "CD013", order_id)
    assert response.status_code == 200
    assert response.json()["released"] == 0
    assert Stock.objects.get(sku="CD013").reserved == 2
    assert not OutboxEvent.objects.exists()
    # The reserve arrives after the release (a retry, or a request that outlived its caller): refused.
    late = reserve(order_client, "CD013", order_id, 1)
    assert late.status_code == 409
    assert "was released" in late.json()["detail"]
    assert Stock.objects.get(sku="CD013").reserved == 2
    assert release(order_client, "CD013", order_id).json()["released"] == 0


def test_release_touches_only_that_sku(order_client):
    order_id = uuid.uuid4()
    ReservationFactory(order_id=order_id, sku=StockFactory(sku="CD014").sku, quantity=1)
    ReservationFactory(order_id=order_id, sku=StockFactory(sku="CD015").sku, quantity=2)
    release(order_client, "CD014", order_id)
    assert Stock.objects.get(sku="CD015").reserved == 2


def test_release_of_unknown_sku_is_404_and_bad_order_id_400(order_client):
    assert release(order_client, "NOPE1", uuid.uuid4()).status_code == 404
    StockFactory(sku="CD016")
    response = order_client.post("/stock/CD016/release", {"order_id": "nope"}, format="json")
    assert response.status_code == 400
    assert "order_id" in response.json()


def test_reserve_and_release_are_post_only(order_client):
    StockFactory(sku="CD017")
    assert order_client.get("/stock/CD017/reserve").status_code == 405
