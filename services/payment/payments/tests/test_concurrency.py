"""Deliveries of order.placed for one order racing each other, and a crash mid-payment: one charge, one event."""

import threading
import uuid
from decimal import Decimal

import pytest
from django.db import connection

from musiccorp_common.events.consumer import _record_processed
from musiccorp_common.models import OutboxEvent, ProcessedEvent
from musiccorp_common.testing.kafka import message_for, run_scripted
from payments import provider, services
from payments.handlers import HANDLERS, on_order_placed
from payments.models import Payment, ProviderCharge
from payments.tests.test_handlers import order_placed

pytestmark = pytest.mark.django_db(transaction=True)


def _race(target, count=8):
    barrier = threading.Barrier(count)
    results = []

    def run():
        try:
            barrier.wait(timeout=30)
            results.append(target())
        finally:
            connection.close()  # each thread had its own connection

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(results) == count
    return results


def test_racing_duplicates_charge_once():
    order_id = uuid.uuid4()
    results = _race(lambda: services.take_payment(order_id, "10.00", "EUR", "tok_visa"))
    assert len([r for r in results if r is not None]) == 1
    assert Payment.objects.get(order_id=order_id).status == "SUCCEEDED"
    assert ProviderCharge.objects.filter(idempotency_key=str(order_id)).count() == 1
    assert OutboxEvent.objects.count() == 1


def test_concurrent_redeliveries_of_one_event_are_handled_once():
    event = order_placed(token="tok_chargeDeclined")
    message = message_for(event)
    handled = _race(lambda: on_order_placed(event, lambda: _record_processed(message, event)))
    assert handled.count(True) == 1  # the others are duplicates of the recorded event
    assert ProcessedEvent.objects.count() == 1
    payment = Payment.objects.get()
    assert (payment.status, payment.reason) == ("DECLINED", "card_declined")
    assert ProviderCharge.objects.count() == 1
    assert list(OutboxEvent.objects.values_list("event_type", flat=True)) == ["payment.failed"]


@pytest.mark.parametrize("provider_was_called", [False, True])
def test_a_crash_after_the_pending_commit_is_finished_by_the_redelivery_without_a_second_charge(provider_was_called):
    event = order_placed(total="29.98")
    order_id = event.data["order_id"]
    # What a consumer killed mid-payment leaves behind: the committed PENDING payment, and perhaps
    # the provider's charge whose answer never came back. No outcome, no event, no record of the event.
    services._record_pending(uuid.UUID(order_id), Decimal("29.98"), "EUR")
    if provider_was_called:
        provider.charge("tok_visa", Decimal("29.98"), "EUR", idempotency_key=order_id)
    assert Payment.objects.get().status == "PENDING"

    consumer = run_scripted(HANDLERS, [message_for(event, offset=0)])

    payment = Payment.objects.get()
    assert payment.status == "SUCCEEDED"
    assert ProviderCharge.objects.filter(idempotency_key=order_id).count() == 1
    assert list(OutboxEvent.objects.values_list("event_type", flat=True)) == ["payment.received"]
    assert OutboxEvent.objects.get().envelope["data"]["payment_id"] == str(payment.id)
    assert len(consumer.committed) == 1
