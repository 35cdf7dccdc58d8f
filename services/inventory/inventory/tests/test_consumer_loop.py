"""inventory's handlers behind the real consumer loop: a duplicate delivery has one effect."""

import uuid

import pytest

from inventory.handlers import HANDLERS
from inventory.management.commands.consume import Command
from inventory.models import Stock
from inventory.tests.factories import ReservationFactory, StockFactory
from inventory.tests.test_handlers import payment_failed, shipment_dispatched
from musiccorp_common.models import OutboxEvent, ProcessedEvent
from musiccorp_common.testing.kafka import message_for, run_scripted

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_command_consumes_its_topics_in_its_group():
    assert Command.group_id == "inventory"
    assert set(Command.handlers) == {"order.placed", "payment.failed", "order.cancelled", "shipment.dispatched"}


def test_duplicate_payment_failed_releases_once():
    order_id = uuid.uuid4()
    ReservationFactory(order_id=order_id, sku=StockFactory(sku="CD001", on_hand=10).sku, quantity=3)
    message = message_for(payment_failed(order_id))
    consumer = run_scripted(HANDLERS, [message, message])
    assert Stock.objects.get(sku="CD001").reserved == 0
    assert OutboxEvent.objects.filter(event_type="stock.released").count() == 1
    assert ProcessedEvent.objects.count() == 1
    assert len(consumer.committed) == 2


def test_duplicate_shipment_dispatched_ships_once():
    order_id = uuid.uuid4()
    ReservationFactory(order_id=order_id, sku=StockFactory(sku="CD002", on_hand=10).sku, quantity=3)
    event = shipment_dispatched(order_id)
    consumer = run_scripted(HANDLERS, [message_for(event, offset=0), message_for(event, offset=1)])
    stock = Stock.objects.get(sku="CD002")
    assert (stock.on_hand, stock.reserved) == (7, 0)
    assert [offset for _, _, offset in consumer.committed] == [0, 1]
