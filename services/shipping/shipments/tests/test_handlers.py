"""payment.received handled with real envelopes: one dispatch per order, shipment.dispatched published."""

import uuid

import pytest

from musiccorp_common.events import build_envelope
from musiccorp_common.models import OutboxEvent
from shipments.carriers import CARRIERS, carrier_for
from shipments.handlers import on_payment_received
from shipments.models import Shipment

pytestmark = pytest.mark.django_db


def payment_received(order_id=None):
    data = {"order_id": str(order_id or uuid.uuid4()), "payment_id": str(uuid.uuid4()), "amount": "29.98", "currency": "EUR"}
    return build_envelope("payment.received", data, producer="payment", correlation_id="corr-pr")


def test_payment_received_dispatches_and_publishes_shipment_dispatched():
    event = payment_received()
    on_payment_received(event)
    shipment = Shipment.objects.get(order_id=event.data["order_id"])
    assert shipment.status == "DISPATCHED"
    assert shipment.carrier == carrier_for(uuid.UUID(event.data["order_id"]))
    outbox = OutboxEvent.objects.get()
    assert (outbox.event_type, outbox.key) == ("shipment.dispatched", event.data["order_id"])
    assert outbox.envelope["producer"] == "shipping"
    assert outbox.envelope["data"] == {
        "order_id": event.data["order_id"],
        "shipment_id": str(shipment.id),
        "carrier": shipment.carrier,
        "tracking_number": shipment.tracking_number,
        "dispatched_at": shipment.dispatched_at.isoformat(),
    }


def test_a_second_payment_received_for_the_order_dispatches_nothing_more():
    order_id = uuid.uuid4()
    on_payment_received(payment_received(order_id))
    on_payment_received(payment_received(order_id))
    assert Shipment.objects.filter(order_id=order_id).count() == 1
    assert OutboxEvent.objects.count() == 1


def test_carrier_is_deterministic_and_tracking_numbers_unique():
    order_ids = [uuid.uuid4() for _ in range(30)]
    assert [carrier_for(o) for o in order_ids] == [carrier_for(o) for o in order_ids]
    for order_id in order_ids:
        on_payment_received(payment_received(order_id))
    shipments = Shipment.objects.all()
    assert len({s.tracking_number for s in shipments}) == 30
    assert {s.carrier for s in shipments} <= {name for name, _ in CARRIERS}
    assert all(s.tracking_number.startswith(dict(CARRIERS)[s.carrier]) for s in shipments)
