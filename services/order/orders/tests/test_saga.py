"""The order's state machine, driven by payment and shipment events (handlers and the real consumer loop)."""

import threading
import uuid

import pytest
from confluent_kafka import Producer
from django.db import transaction

from musiccorp_common.events import build_envelope
from musiccorp_common.events.consumer import EventConsumer
from musiccorp_common.events.envelope import topic_for
from musiccorp_common.events.kafka_config import producer_config
from musiccorp_common.models import OutboxEvent, ProcessedEvent
from musiccorp_common.testing.kafka import FakeMessage, ScriptedConsumer
from orders import services
from orders.handlers import HANDLERS
from orders.models import OrderStatus
from orders.services import OrderNotFound
from orders.tests.factories import OrderFactory


def payment_received(order, payment_id="pay-1"):
    data = {"order_id": str(order.id), "payment_id": payment_id, "amount": "29.98", "currency": "EUR"}
    return build_envelope("payment.received", data, producer="payment", correlation_id="corr-pay")


def payment_failed(order, reason="card_declined"):
    data = {"order_id": str(order.id), "payment_id": "pay-9", "reason": reason}
    return build_envelope("payment.failed", data, producer="payment", correlation_id="corr-fail")


def shipment_dispatched(order):
    data = {
        "order_id": str(order.id),
        "shipment_id": "shp-1",
        "carrier": "DHL",
        "tracking_number": "TRACK-1",
        "dispatched_at": "2026-01-01T10:00:00+00:00",
    }
    return build_envelope("shipment.dispatched", data, producer="shipping", correlation_id="corr-ship")


def handle(envelope):
    """What the consumer does per message, minus Kafka: the handler in a transaction."""
    with transaction.atomic():
        HANDLERS[envelope.event_type](envelope)


def cancelled_events(order):
    return OutboxEvent.objects.filter(event_type="order.cancelled", key=str(order.id))


@pytest.mark.django_db
class TestStateMachine:
    def test_payment_received_marks_paid_and_records_the_payment(self):
        order = OrderFactory()
        handle(payment_received(order))
        order.refresh_from_db()
        assert (order.status, order.payment_id) == (OrderStatus.PAID, "pay-1")

    def test_shipment_after_payment_completes(self):
        order = OrderFactory()
        handle(payment_received(order))
        handle(shipment_dispatched(order))
        order.refresh_from_db()
        assert (order.status, order.shipment_id, order.tracking_number) == (OrderStatus.COMPLETED, "shp-1", "TRACK-1")

    def test_shipment_before_payment_completes_and_the_late_payment_only_records_its_id(self):
        order = OrderFactory()
        handle(shipment_dispatched(order))
        order.refresh_from_db()
        assert order.status == OrderStatus.COMPLETED
        handle(payment_received(order))
        order.refresh_from_db()
        assert (order.status, order.payment_id) == (OrderStatus.COMPLETED, "pay-1")

    def test_payment_failed_cancels_and_publishes_order_cancelled(self):
        order = OrderFactory()
        handle(payment_failed(order))
        order.refresh_from_db()
        assert (order.status, order.cancel_reason) == (OrderStatus.CANCELLED, "card_declined")
        (event,) = cancelled_events(order)
        assert event.envelope["data"] == {"order_id": str(order.id), "reason": "card_declined"}
        assert event.envelope["producer"] == "order"

    def test_a_second_failure_publishes_nothing_more(self):
        order = OrderFactory()
        handle(payment_failed(order))
        handle(payment_failed(order, reason="invalid_token"))
        order.refresh_from_db()
        assert order.cancel_reason == "card_declined"
        assert cancelled_events(order).count() == 1

    def test_cancelled_is_final(self):
        order = OrderFactory()
        handle(payment_failed(order))
        handle(payment_received(order))
        handle(shipment_dispatched(order))
        order.refresh_from_db()
        assert order.status == OrderStatus.CANCELLED

    @pytest.mark.parametrize("status", [OrderStatus.PAID, OrderStatus.COMPLETED])
    def test_a_failure_after_payment_or_dispatch_does_not_cancel(self, status):
        order = OrderFactory(status=status)
        handle(payment_failed(order))
        order.refresh_from_db()
        assert order.status == status
        assert not cancelled_events(order).exists()

    def test_a_duplicate_payment_keeps_paid(self):
        order = OrderFactory()
        handle(payment_received(order))
        handle(payment_received(order))
        order.refresh_from_db()
        assert order.status == OrderStatus.PAID

    @pytest.mark.parametrize("make", [payment_received, payment_failed, shipment_dispatched])
    def test_an_event_for_an_unknown_order_raises(self, make):
        ghost = OrderFactory.build(id=uuid.uuid4())
        with pytest.raises(OrderNotFound):
            handle(make(ghost))


def run_loop(script):
    stop = threading.Event()
    consumer = ScriptedConsumer(script, stop)
    EventConsumer(
        group_id="order", handlers=HANDLERS, stop=stop, consumer=consumer, dlq_producer=Producer(producer_config())
    ).run()
    return consumer


def message(envelope, offset):
    return FakeMessage(topic_for(envelope.event_type), envelope.to_bytes(), key=envelope.data["order_id"].encode(), offset=offset)


@pytest.mark.django_db(transaction=True)
def test_the_consumer_loop_handles_a_duplicate_once_and_out_of_order_events():
    order = OrderFactory()
    shipped, paid, failed = shipment_dispatched(order), payment_received(order), payment_failed(order)
    consumer = run_loop([message(shipped, 0), message(shipped, 1), message(paid, 2), message(failed, 3)])
    order.refresh_from_db()
    assert order.status == OrderStatus.COMPLETED
    assert (order.payment_id, order.shipment_id) == ("pay-1", "shp-1")
    assert not cancelled_events(order).exists()
    assert ProcessedEvent.objects.filter(key=str(order.id)).count() == 3
    assert [offset for _, _, offset in consumer.committed] == [0, 1, 2, 3]


@pytest.mark.django_db(transaction=True)
def test_the_consumer_loop_cancels_once_on_a_redelivered_failure():
    order = OrderFactory()
    failed = payment_failed(order)
    run_loop([message(failed, 0), message(failed, 1)])
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert cancelled_events(order).count() == 1
    assert ProcessedEvent.objects.get(event_id=failed.event_id).correlation_id == "corr-fail"


def test_the_consume_command_subscribes_the_order_group_to_its_topics():
    from orders.management.commands.consume import Command

    assert Command.group_id == "order"
    assert set(Command.handlers) == {"payment.received", "payment.failed", "shipment.dispatched"}


@pytest.mark.django_db(transaction=True)
def test_status_transitions_are_counted_for_the_dashboard():
    from prometheus_client import REGISTRY

    def counted(status):
        return REGISTRY.get_sample_value("musiccorp_orders_total", {"status": status}) or 0

    before = {status: counted(status) for status in ("PAID", "COMPLETED")}
    order = OrderFactory(status="PENDING")
    services.mark_paid(str(order.id), "pay-1")
    services.complete_order(str(order.id), "ship-1", "TRACK1")
    services.complete_order(str(order.id), "ship-1", "TRACK1")  # a duplicate counts nothing
    assert counted("PAID") == before["PAID"] + 1
    assert counted("COMPLETED") == before["COMPLETED"] + 1


def saga_sample(suffix, status, **labels):
    from prometheus_client import REGISTRY

    return REGISTRY.get_sample_value(f"musiccorp_order_saga_seconds{suffix}", {"status": status, **labels}) or 0


def placed_seconds_ago(seconds):
    from datetime import timedelta

    from django.utils import timezone

    from orders.models import Order

    order = OrderFactory(status="PENDING")
    Order.objects.filter(id=order.id).update(created_at=timezone.now() - timedelta(seconds=seconds))
    return order


@pytest.mark.django_db(transaction=True)
def test_the_saga_histogram_observes_placed_to_completed_once_per_order():
    before = {key: saga_sample(*key) for key in (("_count", "COMPLETED"), ("_sum", "COMPLETED"))}
    under_30 = saga_sample("_bucket", "COMPLETED", le="30.0")
    under_60 = saga_sample("_bucket", "COMPLETED", le="60.0")
    order = placed_seconds_ago(42)
    services.mark_paid(str(order.id), "pay-1")
    services.complete_order(str(order.id), "ship-1", "TRACK1")
    services.complete_order(str(order.id), "ship-1", "TRACK1")  # a redelivered dispatch observes nothing
    services.cancel_order(str(order.id), "card_declined")  # nor does a late failure of a completed order
    assert saga_sample("_count", "COMPLETED") == before[("_count", "COMPLETED")] + 1
    assert 42 <= saga_sample("_sum", "COMPLETED") - before[("_sum", "COMPLETED")] < 60
    assert (saga_sample("_bucket", "COMPLETED", le="30.0"), saga_sample("_bucket", "COMPLETED", le="60.0")) == (
        under_30,
        under_60 + 1,
    )


@pytest.mark.django_db(transaction=True)
def test_the_saga_histogram_observes_a_cancellation_and_nothing_of_a_rollback():
    count = saga_sample("_count", "CANCELLED")
    order = placed_seconds_ago(5)

    def cancel_then_fail():
        with transaction.atomic():
            services.cancel_order(str(order.id), "card_declined")
            raise RuntimeError("the consumer's transaction fails after the handler")

    with pytest.raises(RuntimeError):
        cancel_then_fail()
    assert saga_sample("_count", "CANCELLED") == count
    services.cancel_order(str(order.id), "card_declined")
    services.cancel_order(str(order.id), "card_declined")  # already cancelled: observed once
    assert saga_sample("_count", "CANCELLED") == count + 1
    assert saga_sample("_count", "PAID") == 0, "PAID is not a terminal status"
