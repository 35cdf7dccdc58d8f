"""The transactional outbox: events exist exactly when the change does, and reach Kafka at least
once; one relay's claim, lease and backoff (two relays: test_outbox_relays.py)."""

import json
import threading
import time
import uuid
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from musiccorp_common.correlation import use_correlation_id
from musiccorp_common.events import publish_event
from musiccorp_common.events.outbox import NotInTransaction, OutboxRelay
from musiccorp_common.models import OutboxEvent
from musiccorp_common.testing.kafka import read_all
from tests.effects.models import Effect

CANCELLED = {"reason": "card_declined"}


def cancelled(order_id):
    return {**CANCELLED, "order_id": order_id}


def _in_own_connection(function):
    """Run ``function`` in a thread's own database connection (Django's are per thread), closed after."""

    def run():
        try:
            function()
        finally:
            connection.close()

    return run


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
def test_relay_crash_after_publish_before_mark_resends_the_same_event_after_its_lease(kafka_topics, bootstrap, settings):
    # A first publish on a loaded machine (SCRAM login, the idempotent producer's id) can take
    # seconds: a timeout that leaves room for it, and the lease that must exceed it.
    settings.EVENTS_PUBLISH_TIMEOUT_MS = 5000
    settings.EVENTS_RELAY_LEASE_SECONDS = 8
    order_id = str(uuid.uuid4())
    with transaction.atomic():
        envelope = publish_event("order.cancelled", order_id, cancelled(order_id))

    # The process dies after Kafka acknowledged the event but before the row was marked sent.
    relay = OutboxRelay()
    original = relay._produce_and_wait

    def produce_then_die(rows):
        results = original(rows)
        acknowledged = [str(event_id) for event_id, error in results.items() if error is None]
        assert acknowledged == [str(envelope.event_id)], f"Kafka acknowledged the first publish: {results}"
        raise SystemExit("killed between the publish and the mark")

    relay._produce_and_wait = produce_then_die
    with pytest.raises(SystemExit):
        relay.relay_batch()
    row = OutboxEvent.objects.get(event_id=envelope.event_id)
    assert row.sent_at is None
    assert row.claimed_by == relay.relay_id

    # Another relay leaves it alone while the dead relay's lease holds, then sends it again: at
    # least once, with the same event_id for consumers to dedupe.
    other = OutboxRelay()
    assert other.relay_batch() == 0
    time.sleep(8.5)
    assert other.relay_batch() == 1
    messages = read_all(bootstrap, f"{kafka_topics}order.cancelled", expect=2)
    assert [json.loads(m.value())["event_id"] for m in messages] == [envelope.event_id, envelope.event_id]
    assert OutboxEvent.objects.get(event_id=envelope.event_id).claimed_by == other.relay_id


@pytest.mark.django_db(transaction=True)
def test_undeliverable_event_stays_pending_with_the_error_and_backs_off(settings):
    settings.KAFKA_BOOTSTRAP_SERVERS = "127.0.0.1:1"  # nothing listens there
    settings.EVENTS_PUBLISH_TIMEOUT_MS = 1500
    settings.EVENTS_RELAY_BACKOFF_SECONDS = 30
    order_id = str(uuid.uuid4())
    with transaction.atomic():
        envelope = publish_event("order.cancelled", order_id, cancelled(order_id))
    relay = OutboxRelay()
    assert relay.relay_batch() == 0
    row = OutboxEvent.objects.get(event_id=envelope.event_id)
    assert row.sent_at is None
    assert row.attempts == 1
    assert row.last_error
    assert row.claim_expires_at is None, "the claim is given back"
    assert row.next_attempt_at > timezone.now() + timedelta(seconds=20)
    # Not tried again before its backoff ran out (a try would take the 1.5 s timeout).
    started = time.monotonic()
    assert relay.relay_batch() == 0
    assert time.monotonic() - started < 1
    assert OutboxEvent.objects.get(event_id=envelope.event_id).attempts == 1


@pytest.mark.django_db(transaction=True)
def test_no_transaction_is_open_while_the_relay_waits_for_kafka(settings):
    # A real broker outage for this relay: its produce waits the whole timeout.
    settings.KAFKA_BOOTSTRAP_SERVERS = "127.0.0.1:1"
    settings.EVENTS_PUBLISH_TIMEOUT_MS = 4000
    order_id = str(uuid.uuid4())
    with transaction.atomic():
        envelope = publish_event("order.cancelled", order_id, cancelled(order_id))
    relay = OutboxRelay()
    sending = threading.Thread(target=_in_own_connection(relay.relay_batch))
    sending.start()
    try:
        deadline = time.monotonic() + 5
        while not OutboxEvent.objects.filter(event_id=envelope.event_id, claimed_by=relay.relay_id).exists():
            assert time.monotonic() < deadline, "the relay never claimed the row"
            time.sleep(0.05)
        time.sleep(0.5)  # well inside the produce's wait
        assert sending.is_alive()
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND state LIKE 'idle in transaction%%'"
            )
            assert cursor.fetchone()[0] == 0
        # Nothing holds the claimed row's lock: another transaction takes it without waiting.
        with transaction.atomic():
            row = OutboxEvent.objects.select_for_update(nowait=True).get(event_id=envelope.event_id)
            assert row.claim_expires_at > timezone.now()
    finally:
        sending.join(timeout=15)
    assert OutboxEvent.objects.get(event_id=envelope.event_id).attempts == 1


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


@pytest.mark.django_db(transaction=True)
def test_the_event_carries_its_producer_span_a_child_of_the_publishing_request(monkeypatch):
    """The traceparent stored with the event names a PRODUCER span under the request's span, so the
    consumer's span (its child) links the two services' parts of the trace."""
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    from musiccorp_common.events import outbox

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("test")
    # The global provider can be set once per process: the outbox's tracer is swapped instead.
    monkeypatch.setattr(outbox, "tracer", tracer)
    order_id = str(uuid.uuid4())
    with (
        tracer.start_as_current_span("POST /orders", kind=trace.SpanKind.SERVER) as request_span,
        use_correlation_id("corr-producer"),
        transaction.atomic(),
    ):
        publish_event("order.cancelled", order_id, cancelled(order_id))
    row = OutboxEvent.objects.get(key=order_id)
    (producer,) = [span for span in exporter.get_finished_spans() if span.kind == trace.SpanKind.PRODUCER]
    assert producer.name == f"{row.topic} publish"
    assert producer.parent.span_id == request_span.get_span_context().span_id
    assert producer.attributes["messaging.destination.name"] == row.topic
    assert producer.attributes["musiccorp.correlation_id"] == "corr-producer"
    _version, trace_id, span_id, _flags = row.headers["traceparent"].split("-")
    assert trace_id == format(producer.context.trace_id, "032x")
    assert span_id == format(producer.context.span_id, "016x")
