"""inventory's event handlers, called with real envelopes: payment.failed and shipment.dispatched."""

import uuid

import pytest

from inventory.handlers import on_payment_failed, on_shipment_dispatched
from inventory.models import Reservation, Stock
from inventory.tests.factories import ReservationFactory, StockFactory
from musiccorp_common.events import build_envelope
from musiccorp_common.models import OutboxEvent

pytestmark = pytest.mark.django_db


def payment_failed(order_id):
    data = {
        "order_id": str(order_id),
        "payment_id": str(uuid.uuid4()),
        "reason": "card_declined",
        "amount": "9.99",
        "currency": "EUR",
    }
    return build_envelope("payment.failed", data, producer="payment", correlation_id="corr-pf")


def shipment_dispatched(order_id):
    data = {
        "order_id": str(order_id),
        "shipment_id": str(uuid.uuid4()),
        "carrier": "DHL",
        "tracking_number": "DHL0001",
        "dispatched_at": "2026-01-02T03:04:05+00:00",
    }
    return build_envelope("shipment.dispatched", data, producer="shipping", correlation_id="corr-sd")


def two_line_order(order_id):
    ReservationFactory(order_id=order_id, sku=StockFactory(sku="CD001", on_hand=10).sku, quantity=2)
    ReservationFactory(order_id=order_id, sku=StockFactory(sku="CD002", on_hand=5).sku, quantity=5)


def test_payment_failed_releases_the_order_and_publishes_stock_released():
    order_id = uuid.uuid4()
    two_line_order(order_id)
    other = ReservationFactory(sku="CD001", quantity=1)
    on_payment_failed(payment_failed(order_id))

    assert Stock.objects.get(sku="CD001").reserved == 1  # the other order keeps its unit
    assert Stock.objects.get(sku="CD002").reserved == 0
    assert set(Reservation.objects.filter(order_id=order_id).values_list("status", flat=True)) == {"RELEASED"}
    other.refresh_from_db()
    assert other.status == "RESERVED"
    event = OutboxEvent.objects.get()
    assert (event.event_type, event.topic, event.key) == ("stock.released", "stock.released", str(order_id))
    assert event.envelope["producer"] == "inventory"
    assert event.envelope["data"] == {
        "order_id": str(order_id),
        "items": [{"sku": "CD001", "quantity": 2}, {"sku": "CD002", "quantity": 5}],
    }


def test_payment_failed_with_nothing_reserved_publishes_nothing():
    on_payment_failed(payment_failed(uuid.uuid4()))
    assert not OutboxEvent.objects.exists()


def test_payment_failed_twice_releases_once():
    order_id = uuid.uuid4()
    two_line_order(order_id)
    on_payment_failed(payment_failed(order_id))
    on_payment_failed(payment_failed(order_id))
    assert Stock.objects.get(sku="CD001").reserved == 0
    assert OutboxEvent.objects.count() == 1


def test_shipment_dispatched_takes_the_units_off_the_shelf():
    order_id = uuid.uuid4()
    two_line_order(order_id)
    on_shipment_dispatched(shipment_dispatched(order_id))
    assert list(Stock.objects.values_list("sku", "on_hand", "reserved").order_by("sku")) == [("CD001", 8, 0), ("CD002", 0, 0)]
    assert set(Reservation.objects.filter(order_id=order_id).values_list("status", flat=True)) == {"SHIPPED"}
    assert not OutboxEvent.objects.exists()


def test_shipment_dispatched_twice_ships_once():
    order_id = uuid.uuid4()
    two_line_order(order_id)
    on_shipment_dispatched(shipment_dispatched(order_id))
    on_shipment_dispatched(shipment_dispatched(order_id))
    assert Stock.objects.get(sku="CD001").on_hand == 8


def test_shipped_reservations_are_not_released_by_a_late_payment_failed():
    order_id = uuid.uuid4()
    two_line_order(order_id)
    on_shipment_dispatched(shipment_dispatched(order_id))
    on_payment_failed(payment_failed(order_id))
    assert Stock.objects.get(sku="CD001").on_hand == 8
    assert not OutboxEvent.objects.exists()
