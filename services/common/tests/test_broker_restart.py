"""A consumer after a broker crash: how many seconds from "the broker is back" to "a new message is handled".

The local stack's broker is killed with SIGKILL and started again by ci/stack/kafka (the same
script `make up` uses); the consumer is the real EventConsumer with the real client settings
(events/kafka_config.py). The figure is printed and bounded: issue 9 measured 10.7 s before
the client tuning of docs/decisions/0004-consumer-error-policy.md.
"""

import os
import signal
import subprocess
import threading
import time
import uuid
from pathlib import Path

import pytest
from confluent_kafka import Producer

from musiccorp_common.events.consumer import EventConsumer
from musiccorp_common.testing.kafka import client_config
from tests.effects.models import Effect
from tests.test_consumer import cancelled_message

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.local_stack]

ROOT = Path(__file__).resolve().parents[3]
REJOIN_LIMIT_SECONDS = 8.0


def _kafka_pid() -> int:
    script = ". ci/stack/lib.sh && live_pid kafka"
    out = subprocess.run(["bash", "-c", script], cwd=ROOT, capture_output=True, text=True, check=True)  # noqa: S603, S607 -- our script
    return int(out.stdout.strip())


def _wait_for(condition, timeout: float, what: str) -> float:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return time.monotonic()
        time.sleep(0.05)
    raise AssertionError(f"{what} did not happen within {timeout:.0f} s")


def test_consumer_handles_a_new_message_within_seconds_after_a_broker_crash(kafka_topics, bootstrap, settings, caplog):
    settings.KAFKA_BOOTSTRAP_SERVERS = bootstrap
    first, first_event = cancelled_message(topic_prefix=kafka_topics)
    second, second_event = cancelled_message(topic_prefix=kafka_topics)
    handled_at: dict[str, float] = {}

    def handler(envelope):
        Effect.objects.create(order_id=envelope.data["order_id"], event_type=envelope.event_type)
        handled_at[envelope.event_id] = time.monotonic()

    stop = threading.Event()
    failures = []
    consumer = EventConsumer(group_id=f"test-restart-{uuid.uuid4().hex[:8]}", handlers={"order.cancelled": handler}, stop=stop)

    def run():
        try:
            consumer.run()
        except Exception as exc:  # reported by the test thread
            failures.append(exc)

    loop = threading.Thread(target=run, name="consumer-under-test")
    loop.start()
    try:
        producer = Producer(client_config(bootstrap))
        producer.produce(first.topic(), key=first.key(), value=first.value())
        assert producer.flush(15) == 0
        _wait_for(lambda: first_event.event_id in handled_at, 30, "the first message handled")

        os.kill(_kafka_pid(), signal.SIGKILL)
        time.sleep(3)  # down for a while: the client's reconnect backoff grows meanwhile
        kafka = str(ROOT / "ci" / "stack" / "kafka")
        subprocess.run([kafka, "up"], cwd=ROOT, check=True, capture_output=True)  # noqa: S603 -- the stack's own script
        back = time.monotonic()

        producer = Producer(client_config(bootstrap))
        producer.produce(second.topic(), key=second.key(), value=second.value())
        assert producer.flush(30) == 0
        handled = _wait_for(lambda: second_event.event_id in handled_at, 60, "the message after the restart handled")
    finally:
        stop.set()
        loop.join(30)

    seconds = handled - back
    kafka_errors = [r.getMessage() for r in caplog.records if r.getMessage().startswith("Kafka error")]
    print(f"\nbroker back -> new message handled: {seconds:.1f} s; Kafka errors seen by the loop: {len(kafka_errors)}")
    assert not failures, failures
    assert seconds < REJOIN_LIMIT_SECONDS
    assert Effect.objects.count() == 2
