"""shipping's handler behind the real consumer loop: a duplicate delivery dispatches once."""

import uuid

import pytest

from musiccorp_common.models import OutboxEvent, ProcessedEvent
from musiccorp_common.testing.kafka import message_for, run_scripted
from shipments.handlers import HANDLERS
from shipments.management.commands.consume import Command
from shipments.models import Shipment
from shipments.tests.test_handlers import payment_received

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_command_consumes_payment_received_in_the_shipping_group():
    assert Command.group_id == "shipping"
    assert set(Command.handlers) == {"payment.received"}


def test_duplicate_payment_received_dispatches_once():
    order_id = uuid.uuid4()
    event = payment_received(order_id)
    consumer = run_scripted(HANDLERS, [message_for(event), message_for(event), message_for(payment_received(order_id))])
    assert Shipment.objects.filter(order_id=order_id).count() == 1
    assert OutboxEvent.objects.filter(event_type="shipment.dispatched").count() == 1
    assert ProcessedEvent.objects.count() == 2
    assert len(consumer.committed) == 3
