"""inventory's own counters show up in /metrics."""

import uuid

import pytest

from inventory.tests.factories import StockFactory

pytestmark = pytest.mark.django_db


def test_reservation_outcomes_are_counted(service_client, client):
    order = service_client("order")
    StockFactory(sku="CD001", on_hand=1)
    order.post("/stock/CD001/reserve", {"order_id": str(uuid.uuid4()), "quantity": 1}, format="json")
    order.post("/stock/CD001/reserve", {"order_id": str(uuid.uuid4()), "quantity": 1}, format="json")
    body = client.get("/metrics").content.decode()
    assert 'musiccorp_stock_reservations_total{outcome="reserved"}' in body
    assert 'musiccorp_stock_reservations_total{outcome="insufficient"}' in body
