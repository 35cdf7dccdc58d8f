"""The consumer's batches: one transaction and one offset commit per fetched batch, and a failing
message in the middle handled exactly as a message fetched alone."""

import json
import threading
import uuid

import pytest
from confluent_kafka import Producer
from django.db import connection

from musiccorp_common.events.consumer import EventConsumer, handles_own_transaction
from musiccorp_common.models import ProcessedEvent
from musiccorp_common.testing.kafka import FakeMessage, ScriptedConsumer, client_config, read_all, run_until_stopped
from tests.effects.models import Effect
from tests.test_consumer import cancelled_message, record_effect, run_loop

pytestmark = pytest.mark.django_db(transaction=True)


def batch(kafka_topics, count):
    """``count`` messages of one partition at offsets 0.., their order ids."""
    pairs = [cancelled_message(topic_prefix=kafka_topics, offset=offset) for offset in range(count)]
    return [message for message, _ in pairs], [event.data["order_id"] for _, event in pairs]


def transaction_id() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT txid_current()")
        return cursor.fetchone()[0]


def test_a_batch_is_handled_in_one_transaction_with_one_offset_commit(kafka_topics):
    messages, order_ids = batch(kafka_topics, 3)
    seen = []

    def handler(envelope):
        seen.append((envelope.data["order_id"], transaction_id()))
        record_effect(envelope)

    consumer = run_loop([messages], handler=handler)
    assert [order_id for order_id, _ in seen] == order_ids
    assert len({txid for _, txid in seen}) == 1
    assert Effect.objects.count() == 3
    assert ProcessedEvent.objects.count() == 3
    assert consumer.committed == [(messages[0].topic(), 0, 2)]
    assert consumer.final_commits == [(messages[0].topic(), 0, 3)]


def test_a_duplicate_within_a_batch_has_one_effect(kafka_topics):
    message, event = cancelled_message(topic_prefix=kafka_topics, offset=0)
    again = FakeMessage(message.topic(), message.value(), key=message.key(), offset=1)
    consumer = run_loop([[message, again]])
    assert Effect.objects.filter(order_id=event.data["order_id"]).count() == 1
    assert consumer.committed == [(message.topic(), 0, 1)]


def test_a_permanently_failing_message_in_a_batch_is_retried_then_dead_lettered_and_the_rest_follow_in_order(
    kafka_topics, bootstrap, settings
):
    settings.EVENTS_MAX_ATTEMPTS = 3
    settings.EVENTS_RETRY_BACKOFF_SECONDS = 0.01
    messages, order_ids = batch(kafka_topics, 4)
    failing = order_ids[1]
    calls = []
    consumer = ScriptedConsumer([messages], threading.Event())

    def handler(envelope):
        order_id = envelope.data["order_id"]
        calls.append(order_id)
        record_effect(envelope)  # rolled back with the failure
        if order_id == failing:
            # The message before it is committed, database and offset, before it is retried.
            assert consumer.committed == [(messages[0].topic(), 0, 0)]
            raise ValueError("downstream says no")

    run_loop([], handler=handler, consumer=consumer, dlq_producer=Producer(client_config(bootstrap)))
    assert calls == [order_ids[0], failing, failing, failing, order_ids[2], order_ids[3]]
    assert sorted(Effect.objects.values_list("order_id", flat=True)) == sorted(order_ids[:1] + order_ids[2:])
    assert not ProcessedEvent.objects.filter(key=failing).exists()
    assert consumer.committed == [(messages[0].topic(), 0, 0), (messages[0].topic(), 0, 3)]
    dead = read_all(bootstrap, f"{kafka_topics}order.cancelled.dlq", expect=1)
    assert [json.loads(d.value())["data"]["order_id"] for d in dead] == [failing]


def test_a_transiently_failing_message_in_a_batch_is_retried_until_it_passes(kafka_topics, settings):
    settings.EVENTS_RETRY_BACKOFF_SECONDS = 0.01
    messages, order_ids = batch(kafka_topics, 3)
    calls = []

    def handler(envelope):
        calls.append(envelope.data["order_id"])
        record_effect(envelope)
        if calls == order_ids[:2]:
            raise ConnectionError("database blip")

    consumer = run_loop([messages], handler=handler)
    assert calls == [order_ids[0], order_ids[1], order_ids[1], order_ids[2]]
    assert sorted(Effect.objects.values_list("order_id", flat=True)) == sorted(order_ids)
    assert consumer.committed == [(messages[0].topic(), 0, 0), (messages[0].topic(), 0, 2)]


def test_a_failing_first_message_counts_its_batch_attempt(kafka_topics, bootstrap, settings):
    """The batch's transaction held only the first message: that was its first attempt of EVENTS_MAX_ATTEMPTS."""
    settings.EVENTS_MAX_ATTEMPTS = 2
    settings.EVENTS_RETRY_BACKOFF_SECONDS = 0.01
    messages, order_ids = batch(kafka_topics, 2)
    calls = []

    def handler(envelope):
        calls.append(envelope.data["order_id"])
        if envelope.data["order_id"] == order_ids[0]:
            raise ValueError("no")
        record_effect(envelope)

    consumer = run_loop([messages], handler=handler, dlq_producer=Producer(client_config(bootstrap)))
    assert calls == [order_ids[0], order_ids[0], order_ids[1]]
    assert consumer.committed == [(messages[0].topic(), 0, 1)]
    assert len(read_all(bootstrap, f"{kafka_topics}order.cancelled.dlq", expect=1)) == 1


def test_an_invalid_message_in_a_batch_is_dead_lettered_between_two_transactions(kafka_topics, bootstrap):
    first, _ = cancelled_message(topic_prefix=kafka_topics, offset=0)
    poison = FakeMessage(first.topic(), b"{not json", key=b"poison", offset=1)
    last, _ = cancelled_message(topic_prefix=kafka_topics, offset=2)
    seen = []

    def handler(envelope):
        seen.append(transaction_id())
        record_effect(envelope)

    consumer = run_loop([[first, poison, last]], handler=handler, dlq_producer=Producer(client_config(bootstrap)))
    assert len(set(seen)) == 2
    assert Effect.objects.count() == 2
    assert consumer.committed == [(first.topic(), 0, 0), (first.topic(), 0, 2)]
    assert [d.value() for d in read_all(bootstrap, f"{kafka_topics}order.cancelled.dlq", expect=1)] == [b"{not json"]


def test_a_handler_with_its_own_transactions_is_called_alone_outside_any_transaction(kafka_topics):
    messages, order_ids = batch(kafka_topics, 3)
    calls = []

    @handles_own_transaction
    def handler(envelope, mark_processed):
        calls.append((envelope.data["order_id"], connection.in_atomic_block))
        from django.db import transaction

        with transaction.atomic():
            if not mark_processed():
                return False
            record_effect(envelope)
        return True

    consumer = run_loop([messages], handler=handler)
    assert calls == [(order_id, False) for order_id in order_ids]
    assert Effect.objects.count() == 3
    assert [offset for _, _, offset in consumer.committed] == [0, 1, 2]


def test_the_loop_waits_for_one_message_and_takes_up_to_the_batch_size_without_waiting(kafka_topics, settings):
    settings.EVENTS_CONSUMER_BATCH_SIZE = 3
    asked = []
    seen = []

    class Recording(ScriptedConsumer):
        def consume(self, num_messages=1, timeout=None):
            asked.append((num_messages, timeout))
            return super().consume(num_messages, timeout)

    def handler(envelope):
        seen.append(transaction_id())
        record_effect(envelope)

    messages, _ = batch(kafka_topics, 5)
    consumer = run_loop([], handler=handler, consumer=Recording([messages], threading.Event()))
    assert asked == [(2, 0), (2, 0)]
    assert Effect.objects.count() == 5
    assert [len(set(seen[:3])), len(set(seen[3:]))] == [1, 1], "a batch of 3, then one of 2"
    assert seen[2] != seen[3]
    assert consumer.committed == [(messages[0].topic(), 0, 2), (messages[0].topic(), 0, 4)]


def test_a_batch_from_the_real_broker_is_handled_in_order_and_committed(kafka_topics, bootstrap, settings):
    settings.KAFKA_BOOTSTRAP_SERVERS = bootstrap
    messages, order_ids = batch(kafka_topics, 20)
    producer = Producer(client_config(bootstrap))
    for message in messages:
        producer.produce(message.topic(), key=message.key(), value=message.value())
    assert producer.flush(10) == 0
    stop = threading.Event()
    handled = []

    def handler(envelope):
        record_effect(envelope)
        handled.append(envelope.data["order_id"])
        if len(handled) == len(messages):
            stop.set()

    group = f"test-batch-{uuid.uuid4().hex[:8]}"
    consumer = EventConsumer(group_id=group, handlers={"order.cancelled": handler}, stop=stop, dlq_producer=producer)
    run_until_stopped(consumer, stop, 60.0)
    assert handled == order_ids
    from confluent_kafka import Consumer, TopicPartition

    from musiccorp_common.events.kafka_config import consumer_config

    reader = Consumer(consumer_config(group))
    try:
        [committed] = reader.committed([TopicPartition(messages[0].topic(), 0)], timeout=10)
    finally:
        reader.close()
    assert committed.offset == len(messages)
