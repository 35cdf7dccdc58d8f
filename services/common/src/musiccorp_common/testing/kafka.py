"""Kafka test helpers: a fake message, a scripted consumer for loop tests, and real-broker helpers.

The scripted consumer follows event-bus-kafka's testing idea: each ``poll`` returns the next
scripted item, and when the script runs out it sets the stop flag, so a test drives the real
loop for exactly the iterations it means to. A scripted list of messages is a batch: ``poll``
returns its first, and a ``consume`` without waiting the rest (as messages the client had
already fetched).
"""

import threading
import time
import uuid

from confluent_kafka import Consumer, KafkaError, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic


def run_until_stopped(consumer, stop: threading.Event, seconds: float) -> None:
    """``consumer.run()``, with ``stop`` set after ``seconds`` at the latest: a broken loop must not hang the suite."""
    timeout = threading.Timer(seconds, stop.set)
    timeout.start()
    try:
        consumer.run()
    finally:
        timeout.cancel()


class FakeMessage:
    """Quacks like confluent_kafka.Message for the consumer loop."""

    def __init__(self, topic, value, *, key=b"k", headers=None, partition=0, offset=0, error=None):
        self._topic, self._value, self._key = topic, value, key
        self._headers, self._partition, self._offset, self._error = headers or [], partition, offset, error

    def topic(self):
        return self._topic

    def value(self):
        return self._value

    def key(self):
        return self._key

    def headers(self):
        return self._headers

    def partition(self):
        return self._partition

    def offset(self):
        return self._offset

    def error(self):
        return self._error


class ScriptedConsumer:
    """A consumer whose fetches return the scripted items (None for an empty poll, a list for a
    batch); the fetch after the last stops the loop."""

    def __init__(self, script, stop: threading.Event):
        self.script = list(script)
        self.stop = stop
        self.committed: list = []
        self.final_commits: list = []
        self.closed = False
        self.topics: list[str] = []
        self.paused: set[tuple[str, int]] = set()
        self.arrived: list = []  # the rest of a scripted batch

    def subscribe(self, topics, on_assign=None, on_revoke=None):
        self.topics = topics

    def assignment(self):
        return [TopicPartition(topic, 0) for topic in self.topics]

    def pause(self, partitions):
        self.paused |= {(p.topic, p.partition) for p in partitions}

    def resume(self, partitions):
        self.paused -= {(p.topic, p.partition) for p in partitions}

    def seek(self, partition):
        raise AssertionError("a scripted consumer is never assigned a partition during a backoff")

    def poll(self, timeout=None):
        if self.paused:
            # Paused (the loop is backing off): nothing is delivered, the script waits, time passes.
            time.sleep(timeout or 0)
            return None
        if self.arrived:
            return self.arrived.pop(0)
        if not self.script:
            self.stop.set()
            return None
        item = self.script.pop(0)
        if isinstance(item, list):
            item, self.arrived = item[0], item[1:]
        return item

    def consume(self, num_messages=1, timeout=None):
        """What is left of a scripted batch, up to ``num_messages``; when nothing is, a poll's item as a list."""
        if self.arrived and not self.paused:
            taken, self.arrived = self.arrived[:num_messages], self.arrived[num_messages:]
            return taken
        if timeout == 0:
            return []
        message = self.poll(timeout)
        return [] if message is None else [message]

    def store_offsets(self, message=None, offsets=None):
        """The offsets stored after each batch (the client commits them in the background) go to
        ``committed`` as (topic, partition, offset of the last message done there)."""
        self.commit(message=message, offsets=offsets, asynchronous=True)

    def commit(self, message=None, offsets=None, asynchronous=True):
        """The asynchronous commits go to ``committed`` as (topic, partition, offset of the last
        message done there); the synchronous ones at shutdown or revocation to ``final_commits``
        as (topic, partition, next offset)."""
        if message is not None:
            self.committed.append((message.topic(), message.partition(), message.offset()))
        for offset in offsets or []:
            if asynchronous:
                self.committed.append((offset.topic, offset.partition, offset.offset - 1))
            else:
                self.final_commits.append((offset.topic, offset.partition, offset.offset))

    def get_watermark_offsets(self, partition, cached=False):
        return (-1, -1)

    def close(self):
        self.closed = True


def kafka_error(code=KafkaError._TRANSPORT, fatal=False) -> KafkaError:
    return KafkaError(code, "scripted error", fatal=fatal)


def client_config(bootstrap: str, **extra) -> dict:
    """librdkafka config of a test client: the settings' credentials (the admin super user under
    ci/test-services, docs/local-stack.md) with ``bootstrap`` as the broker."""
    from django.conf import settings

    from musiccorp_common.events.kafka_config import security_config

    # Outside Django (the e2e suite) the caller passes its credentials in ``extra``.
    base = security_config() if settings.configured else {}
    return {**base, "bootstrap.servers": bootstrap, **extra}


def wait_for_broker(bootstrap: str, timeout: float = 30.0) -> None:
    """Fail (never skip) when the broker does not answer: a missing server is a failed test."""
    admin = AdminClient(client_config(bootstrap))
    try:
        admin.list_topics(timeout=timeout)
    except Exception as exc:
        raise AssertionError(
            f"Kafka at {bootstrap} is not reachable ({exc}); start it with `make up` or ci/stack/kafka up"
        ) from exc


def create_topics(bootstrap: str, names: list[str], partitions: int = 1, config: dict | None = None) -> None:
    """Create the topics (with topic-level ``config``, e.g. max.message.bytes) and wait until they are listed."""
    admin = AdminClient(client_config(bootstrap))
    futures = admin.create_topics(
        [NewTopic(name, num_partitions=partitions, replication_factor=1, config=config or {}) for name in names]
    )
    for future in futures.values():
        future.result(30)
    deadline = time.monotonic() + 30
    while set(names) - set(admin.list_topics(timeout=10).topics):
        if time.monotonic() > deadline:
            raise AssertionError(f"topics {names} did not appear")
        time.sleep(0.2)


def delete_topics(bootstrap: str, names: list[str]) -> None:
    admin = AdminClient(client_config(bootstrap))
    for future in admin.delete_topics(names, operation_timeout=30).values():
        future.result(30)


def read_all(bootstrap: str, topic: str, *, expect: int, timeout: float = 20.0, config: dict | None = None) -> list:
    """Read a topic from the beginning until ``expect`` messages arrived (or the timeout)."""
    consumer = Consumer(
        client_config(
            bootstrap,
            **{"group.id": f"test-reader-{uuid.uuid4()}", "auto.offset.reset": "earliest", "enable.auto.commit": False},
            **(config or {}),
        )
    )
    metadata = consumer.list_topics(topic, timeout=10)
    consumer.assign([TopicPartition(topic, p, 0) for p in metadata.topics[topic].partitions])
    messages, deadline = [], time.monotonic() + timeout
    try:
        while len(messages) < expect and time.monotonic() < deadline:
            message = consumer.poll(0.5)
            if message is not None and not message.error():
                messages.append(message)
        # A short extra wait shows that no unexpected extra message follows.
        extra_deadline = time.monotonic() + 1.0
        while time.monotonic() < extra_deadline:
            message = consumer.poll(0.2)
            if message is not None and not message.error():
                messages.append(message)
    finally:
        consumer.close()
    return messages


def message_for(envelope, *, key: str | None = None, offset: int = 0) -> FakeMessage:
    """A FakeMessage carrying ``envelope`` on its event type's topic, keyed like producers key it (the order id)."""
    from musiccorp_common.events.envelope import topic_for

    key = key if key is not None else str(envelope.data.get("order_id", ""))
    return FakeMessage(topic_for(envelope.event_type), envelope.to_bytes(), key=key.encode(), offset=offset)


def run_scripted(handlers: dict, script, *, group_id: str = "test") -> ScriptedConsumer:
    """Drive the real EventConsumer loop over ``script`` with a service's handlers; returns the consumer.

    The loop commits its own transactions on its thread's connection, so a test using it needs
    ``pytest.mark.django_db(transaction=True)``. Dead letters go to the configured broker.
    """
    from confluent_kafka import Producer

    from musiccorp_common.events.consumer import EventConsumer
    from musiccorp_common.events.kafka_config import producer_config

    stop = threading.Event()
    consumer = ScriptedConsumer(script, stop)
    dlq_producer = Producer(producer_config())
    EventConsumer(group_id=group_id, handlers=handlers, stop=stop, consumer=consumer, dlq_producer=dlq_producer).run()
    return consumer
