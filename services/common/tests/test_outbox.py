"""The transactional outbox: events exist exactly when the change does, and reach Kafka at least once."""

import json
import threading
import time
import uuid

import pytest
from django.db import transaction

from musiccorp_common.correlation import use_correlation_id
from musiccorp_common.events import publish_event
from musiccorp_common.events.outbox import NotInTransaction, OutboxRelay
from musiccorp_common.models import OutboxEvent
from musiccorp_common.testing.kafka import read_all
from tests.effects.models import Effect

CANCELLED = {"reason": "card_declined"}


def cancelled(order_id):
    return {**CANCELLED, "order_id": order_id}


@pytest.mark.django_db(transaction=True)
def test_event_is_stored_with_the_change_and_rolled_back_with_it():
    order_id = str(uuid.uuid4())
    with transaction.atomic():
        Effect.objects.create(order_id=order_id, event_type="x")
        publish_event("order.cancelled", order_id, cancelled(order_id))
    assert OutboxEvent.objects.filter(key=order_id, sent_at__isnull=True).count() == 1

    other = str(uuid.uuid4())

    def change_that_fails():
        with transaction.atomic():
            Effect.objects.create(order_id=other, event_type="x")
            publish_event("order.cancelled", other, cancelled(other))
            raise RuntimeError("the business change fails")

    with pytest.raises(RuntimeError):
        change_that_fails()
    assert not OutboxEvent.objects.filter(key=other).exists()
    assert not Effect.objects.filter(order_id=other).exists()


@pytest.mark.django_db(transaction=True)
def test_publish_outside_a_transaction_is_refused():
    with pytest.raises(NotInTransaction):
        publish_event("order.cancelled", "k", cancelled(str(uuid.uuid4())))


@pytest.mark.django_db(transaction=True)
def test_relay_delivers_with_key_headers_and_marks_sent(kafka_topics, bootstrap):
    order_id = str(uuid.uuid4())
    with use_correlation_id("corr-outbox-1"), transaction.atomic():
        envelope = publish_event("order.cancelled", order_id, cancelled(order_id))
    assert OutboxRelay().relay_batch() == 1

    messages = read_all(bootstrap, f"{kafka_topics}order.cancelled", expect=1)
    assert len(messages) == 1
    message = messages[0]
    assert message.key() == order_id.encode()
    body = json.loads(message.value())
    assert body["event_id"] == envelope.event_id
    assert body["correlation_id"] == "corr-outbox-1"
    assert body["producer"] == "order"
    headers = dict(message.headers())
    assert headers["x-correlation-id"] == b"corr-outbox-1"
    assert OutboxEvent.objects.get(event_id=envelope.event_id).sent_at is not None
    assert OutboxRelay().relay_batch() == 0


@pytest.mark.django_db(transaction=True)
def test_relay_crash_after_publish_before_mark_resends_the_same_event(kafka_topics, bootstrap, monkeypatch):
    order_id = str(uuid.uuid4())
    with transaction.atomic():
        envelope = publish_event("order.cancelled", order_id, cancelled(order_id))

    # The process dies after Kafka acknowledged the event but before the row was marked sent.
    relay = OutboxRelay()
    original = relay._produce_and_wait

    def produce_then_die(rows):
        original(rows)
        raise SystemExit("killed between the publish and the mark")

    monkeypatch.setattr(relay, "_produce_and_wait", produce_then_die)
    with pytest.raises(SystemExit):
        relay.relay_batch()
    assert OutboxEvent.objects.get(event_id=envelope.event_id).sent_at is None

    # A new relay sends it again: at least once, with the same event_id for consumers to dedupe.
    assert OutboxRelay().relay_batch() == 1
    messages = read_all(bootstrap, f"{kafka_topics}order.cancelled", expect=2)
    assert [json.loads(m.value())["event_id"] for m in messages] == [envelope.event_id, envelope.event_id]


@pytest.mark.django_db(transaction=True)
def test_undeliverable_event_stays_pending_with_the_error(settings):
    settings.KAFKA_BOOTSTRAP_SERVERS = "127.0.0.1:1"  # nothing listens there
    settings.EVENTS_PUBLISH_TIMEOUT_MS = 1500
    order_id = str(uuid.uuid4())
    with transaction.atomic():
        envelope = publish_event("order.cancelled", order_id, cancelled(order_id))
    assert OutboxRelay().relay_batch() == 0
    row = OutboxEvent.objects.get(event_id=envelope.event_id)
    assert row.sent_at is None
    assert row.attempts == 1
    assert row.last_error


@pytest.mark.django_db(transaction=True)
def test_running_relay_is_woken_by_the_commit_not_by_its_idle_timer(kafka_topics, bootstrap, settings):
    settings.EVENTS_RELAY_IDLE_SECONDS = 30  # a relay that only polled would sleep through this test
    stop = threading.Event()
    relay = threading.Thread(target=OutboxRelay().run, args=(stop,))
    relay.start()
    try:
        time.sleep(1.0)  # the relay found nothing and is now waiting
        order_id = str(uuid.uuid4())
        with transaction.atomic():
            envelope = publish_event("order.cancelled", order_id, cancelled(order_id))
        committed = time.monotonic()
        messages = read_all(bootstrap, f"{kafka_topics}order.cancelled", expect=1, timeout=10)
        assert [json.loads(m.value())["event_id"] for m in messages] == [envelope.event_id]
        assert time.monotonic() - committed < 5
    finally:
        stop.set()
        asked = time.monotonic()
        relay.join(timeout=40)
    assert not relay.is_alive()
    assert time.monotonic() - asked < 3, "the relay notices a stop request during its idle wait"
