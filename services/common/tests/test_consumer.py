"""The consumer loop: idempotent handling, retries, dead letters, commits only after the database."""

import json
import threading
import uuid

import pytest
from confluent_kafka import Producer

from musiccorp_common.events import build_envelope
from musiccorp_common.events.consumer import ConsumerFailed, EventConsumer
from musiccorp_common.events.kafka_config import producer_config
from musiccorp_common.models import ProcessedEvent
from musiccorp_common.testing.kafka import FakeMessage, ScriptedConsumer, client_config, kafka_error, read_all
from tests.effects.models import Effect

pytestmark = pytest.mark.django_db(transaction=True)


def cancelled_message(order_id=None, *, topic_prefix="", offset=0, event=None):
    order_id = order_id or str(uuid.uuid4())
    event = event or build_envelope(
        "order.cancelled", {"order_id": order_id, "reason": "r"}, producer="order", correlation_id="corr-c"
    )
    return FakeMessage(f"{topic_prefix}order.cancelled", event.to_bytes(), key=order_id.encode(), offset=offset), event


def record_effect(envelope):
    Effect.objects.create(order_id=envelope.data["order_id"], event_type=envelope.event_type)


def run_loop(script, handler=record_effect, dlq_producer=None, consumer=None):
    """Drive the real loop with a scripted consumer (``script``, or a ``consumer`` built by the test)."""
    consumer = consumer or ScriptedConsumer(script, threading.Event())
    EventConsumer(
        group_id="test",
        handlers={"order.cancelled": handler},
        stop=consumer.stop,
        consumer=consumer,
        dlq_producer=dlq_producer or Producer(producer_config()),
    ).run()
    return consumer


def test_duplicate_delivery_has_one_effect(kafka_topics):
    message, event = cancelled_message(topic_prefix=kafka_topics)
    consumer = run_loop([message, message])
    assert Effect.objects.filter(order_id=event.data["order_id"]).count() == 1
    assert ProcessedEvent.objects.filter(event_id=event.event_id).count() == 1
    assert len(consumer.committed) == 2  # the duplicate is acknowledged too
    assert consumer.closed


def test_offset_is_committed_only_after_the_handler_committed(kafka_topics):
    message, _ = cancelled_message(topic_prefix=kafka_topics)
    seen_commits_during_handler = []
    consumer_ref = {}

    def handler(envelope):
        seen_commits_during_handler.append(list(consumer_ref["c"].committed))
        record_effect(envelope)

    consumer = consumer_ref["c"] = ScriptedConsumer([message], threading.Event())
    run_loop([], handler=handler, consumer=consumer)
    assert seen_commits_during_handler == [[]]
    assert consumer.committed == [(message.topic(), 0, 0)]


def test_poison_message_goes_to_the_dlq_and_the_loop_goes_on(kafka_topics, bootstrap, settings):
    settings.KAFKA_BOOTSTRAP_SERVERS = bootstrap
    poison = FakeMessage(f"{kafka_topics}order.cancelled", b"{definitely not json", key=b"poison", offset=0)
    good, event = cancelled_message(topic_prefix=kafka_topics, offset=1)
    consumer = run_loop([poison, good], dlq_producer=Producer(client_config(bootstrap)))

    assert Effect.objects.filter(order_id=event.data["order_id"]).count() == 1
    assert [offset for _, _, offset in consumer.committed] == [0, 1]
    dead = read_all(bootstrap, f"{kafka_topics}order.cancelled.dlq", expect=1)
    assert len(dead) == 1
    assert dead[0].value() == b"{definitely not json"
    headers = dict(dead[0].headers())
    assert b"not JSON" in headers["x-dlq-error"]
    assert headers["x-dlq-original-topic"] == f"{kafka_topics}order.cancelled".encode()


def test_failing_handler_is_retried_then_dead_lettered(kafka_topics, bootstrap, settings):
    settings.EVENTS_MAX_ATTEMPTS = 3
    settings.EVENTS_RETRY_BACKOFF_SECONDS = 0.01
    attempts = []

    def flaky(envelope):
        attempts.append(envelope.event_id)
        record_effect(envelope)  # rolled back with the failure: no effect may survive
        raise ValueError("downstream says no")

    message, event = cancelled_message(topic_prefix=kafka_topics)
    consumer = run_loop([message], handler=flaky, dlq_producer=Producer(client_config(bootstrap)))
    assert len(attempts) == 3
    assert not Effect.objects.exists()
    assert not ProcessedEvent.objects.exists()
    assert len(consumer.committed) == 1
    dead = read_all(bootstrap, f"{kafka_topics}order.cancelled.dlq", expect=1)
    assert json.loads(dead[0].value())["event_id"] == event.event_id
    assert b"downstream says no" in dict(dead[0].headers())["x-dlq-error"]


def test_handler_that_recovers_on_retry_is_handled_once(kafka_topics, settings):
    settings.EVENTS_RETRY_BACKOFF_SECONDS = 0.01
    calls = []

    def fails_once(envelope):
        calls.append(1)
        if len(calls) == 1:
            raise ConnectionError("database blip")
        record_effect(envelope)

    message, event = cancelled_message(topic_prefix=kafka_topics)
    run_loop([message], handler=fails_once)
    assert len(calls) == 2
    assert Effect.objects.filter(order_id=event.data["order_id"]).count() == 1


def test_crash_between_database_commit_and_offset_commit_redelivers_without_a_second_effect(kafka_topics):
    message, event = cancelled_message(topic_prefix=kafka_topics)
    stop = threading.Event()

    class DiesOnCommit(ScriptedConsumer):
        def commit(self, message=None, offsets=None, asynchronous=True):
            raise SystemExit("killed after the database commit, before the offset commit")

    crashing = DiesOnCommit([message], stop)
    with pytest.raises(SystemExit):
        run_loop([], consumer=crashing)
    assert crashing.closed
    # The restarted consumer gets the same message again (its offset was never committed).
    consumer = run_loop([message])
    assert Effect.objects.filter(order_id=event.data["order_id"]).count() == 1
    assert len(consumer.committed) == 1


def test_event_on_the_wrong_topic_is_dead_lettered(kafka_topics, bootstrap):
    order_id = str(uuid.uuid4())
    wrong = build_envelope("order.cancelled", {"order_id": order_id, "reason": "r"}, producer="order", correlation_id="c")
    message = FakeMessage(f"{kafka_topics}order.cancelled", wrong.to_bytes().replace(b'"order.cancelled"', b'"stock.released"'))
    run_loop([message], dlq_producer=Producer(client_config(bootstrap)))
    assert not Effect.objects.exists()
    assert len(read_all(bootstrap, f"{kafka_topics}order.cancelled.dlq", expect=1)) == 1


def test_envelope_from_a_service_that_does_not_own_the_topic_is_dead_lettered(kafka_topics, bootstrap):
    order_id = str(uuid.uuid4())
    forged = build_envelope("order.cancelled", {"order_id": order_id, "reason": "r"}, producer="payment", correlation_id="c")
    message, _ = cancelled_message(order_id, topic_prefix=kafka_topics, event=forged)
    consumer = run_loop([message], dlq_producer=Producer(client_config(bootstrap)))
    assert not Effect.objects.exists()
    assert not ProcessedEvent.objects.filter(event_id=forged.event_id).exists()
    assert len(consumer.committed) == 1  # parked, not retried forever
    dead = read_all(bootstrap, f"{kafka_topics}order.cancelled.dlq", expect=1)
    error = dict(dead[0].headers())["x-dlq-error"]
    assert error.startswith(b"ForeignProducer: producer 'payment' does not own 'order.cancelled'")


def test_fatal_kafka_error_stops_the_loop(kafka_topics):
    with pytest.raises(ConsumerFailed, match="fatal"):
        run_loop([FakeMessage("t", b"", error=kafka_error(fatal=True))])


def test_too_many_kafka_errors_in_a_row_stop_the_loop(kafka_topics, settings):
    settings.EVENTS_MAX_CONSECUTIVE_KAFKA_ERRORS = 3
    errors = [FakeMessage("t", b"", error=kafka_error()) for _ in range(3)]
    with pytest.raises(ConsumerFailed, match="3 Kafka errors in a row"):
        run_loop([*errors, None])


def test_correlation_id_and_trace_are_restored_in_the_handler(kafka_topics):
    from opentelemetry import trace

    from musiccorp_common.correlation import current_correlation_id

    seen = {}
    trace_id = "4bf92f3577b34da6a3ce929d0e0e4736"

    def handler(envelope):
        seen["correlation_id"] = current_correlation_id()
        seen["trace_id"] = format(trace.get_current_span().get_span_context().trace_id, "032x")
        record_effect(envelope)

    message, _ = cancelled_message(topic_prefix=kafka_topics)
    message._headers = [("traceparent", f"00-{trace_id}-00f067aa0ba902b7-01".encode())]
    from opentelemetry.sdk.trace import TracerProvider

    trace.set_tracer_provider(TracerProvider())
    run_loop([message], handler=handler)
    assert seen["correlation_id"] == "corr-c"
    assert seen["trace_id"] == trace_id


def test_shutdown_commits_what_was_finished_synchronously(kafka_topics):
    first, _ = cancelled_message(topic_prefix=kafka_topics, offset=0)
    second, _ = cancelled_message(topic_prefix=kafka_topics, offset=1)
    consumer = run_loop([first, second])
    assert consumer.final_commits == [(first.topic(), 0, 2)]


def test_shutdown_during_retries_leaves_the_unfinished_message_uncommitted(kafka_topics, settings):
    settings.EVENTS_RETRY_BACKOFF_SECONDS = 5
    done, _ = cancelled_message(topic_prefix=kafka_topics, offset=0)
    failing, _ = cancelled_message(topic_prefix=kafka_topics, offset=1)
    stop = threading.Event()
    consumer = ScriptedConsumer([done, failing], stop)

    def handler(envelope):
        if envelope.data["order_id"] == failing.key().decode():
            stop.set()  # SIGTERM arrives while this message is failing
            raise ConnectionError("database away")
        record_effect(envelope)

    run_loop([], handler=handler, consumer=consumer)
    assert consumer.committed == [(done.topic(), 0, 0)]
    assert consumer.final_commits == [(done.topic(), 0, 1)], "offset 1 is redelivered after the restart"
