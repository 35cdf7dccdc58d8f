"""payment's handlers behind the real consumer loop: redelivery and duplicate events charge once."""

import uuid

import pytest

from musiccorp_common.models import OutboxEvent, ProcessedEvent
from musiccorp_common.testing.kafka import message_for, run_scripted
from payments.handlers import HANDLERS
from payments.management.commands.consume import Command
from payments.models import Payment, ProviderCharge
from payments.tests.test_handlers import order_cancelled, order_placed

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_command_consumes_order_placed_and_order_cancelled_in_the_payment_group():
    assert Command.group_id == "payment"
    assert set(Command.handlers) == {"order.placed", "order.cancelled"}


def test_redelivered_and_duplicated_order_placed_charge_once():
    order_id = uuid.uuid4()
    event = order_placed(order_id)
    twin = order_placed(order_id)  # the same order, another event_id
    script = [message_for(event, offset=0), message_for(event, offset=0), message_for(twin, offset=1)]
    consumer = run_scripted(HANDLERS, script)
    assert Payment.objects.filter(order_id=order_id).count() == 1
    assert ProviderCharge.objects.count() == 1
    assert OutboxEvent.objects.filter(event_type="payment.received").count() == 1
    assert ProcessedEvent.objects.count() == 2  # both event ids are recorded, only one charged
    assert len(consumer.committed) == 3


def test_order_cancelled_before_order_placed_is_never_charged():
    order_id = uuid.uuid4()
    script = [message_for(order_cancelled(order_id), offset=0), message_for(order_placed(order_id), offset=0)]
    consumer = run_scripted(HANDLERS, script)
    assert Payment.objects.get(order_id=order_id).status == "VOIDED"
    assert not ProviderCharge.objects.exists()
    assert not OutboxEvent.objects.exists()
    assert ProcessedEvent.objects.count() == 2
    assert len(consumer.committed) == 2
