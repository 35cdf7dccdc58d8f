"""Micro-benchmark of the consumer loop (issue 10): N messages through the real EventConsumer.

Not part of the suite (the file name is not test_*); run it under the servers' lock with
``ci/test-services common -- tests/bench_consumer.py -s -q``. N order.cancelled events are
produced to a fresh topic of the real broker, then the real loop (real Consumer, the local
PostgreSQL) handles them with a handler that inserts one row each. Printed: messages/s from the
first handler call to the last, and the test process's CPU time per message (the loop,
librdkafka's threads and psycopg; PostgreSQL's and the broker's CPU are not counted).
"""

import importlib.util
import os
import threading
import time
import uuid

import pytest
from confluent_kafka import Producer

from musiccorp_common.events import build_envelope
from musiccorp_common.events import consumer as consumer_module
from musiccorp_common.testing.kafka import client_config, run_until_stopped
from tests.effects.models import Effect

pytestmark = pytest.mark.django_db(transaction=True)

N = int(os.environ.get("BENCH_MESSAGES", "2000"))


def _event_consumer_class():
    """EventConsumer, or the one of another version of consumer.py (BENCH_CONSUMER_FILE) to compare."""
    path = os.environ.get("BENCH_CONSUMER_FILE")
    if not path:
        return consumer_module.EventConsumer
    spec = importlib.util.spec_from_file_location("musiccorp_common.events.consumer_compared", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.EventConsumer


def test_consumer_throughput(kafka_topics, bootstrap, settings):
    settings.KAFKA_BOOTSTRAP_SERVERS = bootstrap
    topic = f"{kafka_topics}order.cancelled"
    producer = Producer(client_config(bootstrap, **{"linger.ms": 20}))
    for _ in range(N):
        order_id = str(uuid.uuid4())
        event = build_envelope("order.cancelled", {"order_id": order_id, "reason": "r"}, producer="order", correlation_id="c")
        producer.produce(topic, key=order_id.encode(), value=event.to_bytes())
    assert producer.flush(30) == 0

    stop = threading.Event()
    handled = []
    first = {}

    def handler(envelope):
        if not first:  # joining the group (the broker's initial rebalance delay) is not measured
            first.update(cpu=time.process_time(), wall=time.monotonic())
        Effect.objects.create(order_id=envelope.data["order_id"], event_type=envelope.event_type)
        handled.append(1)
        if len(handled) == N:
            first.update(cpu_end=time.process_time(), wall_end=time.monotonic())
            stop.set()

    fetched = []

    class Measured(_event_consumer_class()):
        def _process_batch(self, messages):  # the batches this loop got (none for a per-message loop)
            fetched.append(len(messages))
            return super()._process_batch(messages)

    consumer = Measured(
        group_id=f"bench-{uuid.uuid4().hex[:8]}", handlers={"order.cancelled": handler}, stop=stop, dlq_producer=producer
    )
    run_until_stopped(consumer, stop, 300.0)
    assert Effect.objects.count() == N
    # From the first handler call to the last: N - 1 messages.
    wall, cpu = first["wall_end"] - first["wall"], first["cpu_end"] - first["cpu"]
    version = os.environ.get("BENCH_CONSUMER_FILE", "this checkout")
    rate, cpu_ms = (N - 1) / wall, 1000 * cpu / (N - 1)
    batches = f", {len(fetched)} batches of {N / len(fetched):.1f} on average" if fetched else ""
    print(
        f"\nconsumer bench ({version}): N={N} {rate:.0f} messages/s, {wall:.2f} s wall, {cpu_ms:.3f} ms CPU per message{batches}"
    )
