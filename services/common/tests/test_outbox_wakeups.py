"""What wakes the relay and how much one pass takes: one NOTIFY per transaction, coalesced
wake-ups (EVENTS_RELAY_COALESCE_MS), and a claim at once when a settle frees a key's next row."""

import json
import threading
import time
import uuid

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from musiccorp_common.events import publish_event
from musiccorp_common.events.outbox import OutboxRelay
from musiccorp_common.models import OutboxEvent
from musiccorp_common.testing.kafka import read_all

TOPIC = "order.cancelled"


def publish(key: str):
    return publish_event(TOPIC, key, {"order_id": key, "reason": "card_declined"})


def notifies(queries) -> int:
    return sum(1 for query in queries if query["sql"].startswith("NOTIFY"))


class RunningRelay:
    """OutboxRelay.run in a thread, stopped and joined on exit."""

    def __enter__(self):
        self.stop = threading.Event()
        self.relay = OutboxRelay()
        self.thread = threading.Thread(target=self._run)
        self.thread.start()
        return self.relay

    def _run(self):
        try:
            self.relay.run(self.stop)
        finally:
            connection.close()

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(timeout=40)
        assert not self.thread.is_alive()


@pytest.mark.django_db(transaction=True)
def test_one_notify_per_transaction_and_again_after_a_rolled_back_savepoint():
    key = str(uuid.uuid4())
    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        for _ in range(3):
            publish(key)
    assert notifies(queries) == 1

    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        try:
            with transaction.atomic():
                publish(key)
                raise RuntimeError("the savepoint, its row and its NOTIFY are rolled back")
        except RuntimeError:
            pass
        publish(key)
        publish(key)
    assert notifies(queries) == 2, "the rolled-back savepoint's NOTIFY is gone: the next publish sends one"

    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        publish(key)
    assert notifies(queries) == 1, "a new transaction notifies again"
    assert OutboxEvent.objects.filter(key=key).count() == 6


@pytest.mark.django_db(transaction=True)
def test_commits_within_the_coalescing_window_go_in_one_claim(kafka_topics, bootstrap, settings):
    settings.EVENTS_RELAY_IDLE_SECONDS = 30
    settings.EVENTS_RELAY_COALESCE_MS = 500
    with RunningRelay():
        time.sleep(1.0)  # the relay found nothing and is waiting
        keys = [str(uuid.uuid4()) for _ in range(5)]
        for key in keys:
            with transaction.atomic():
                publish(key)
        read_all(bootstrap, f"{kafka_topics}{TOPIC}", expect=5, timeout=10)
        deadline = time.monotonic() + 5
        while OutboxEvent.objects.filter(sent_at__isnull=True).exists():
            assert time.monotonic() < deadline
            time.sleep(0.05)
    # One settle statement marks a batch: its rows share its now().
    assert len(set(OutboxEvent.objects.values_list("sent_at", flat=True))) == 1


@pytest.mark.django_db(transaction=True)
def test_a_keys_next_row_goes_right_after_the_settle_without_a_notification(kafka_topics, bootstrap, settings):
    settings.EVENTS_RELAY_IDLE_SECONDS = 30  # waiting for a notification would outlast this test
    key = str(uuid.uuid4())
    published = []
    for _ in range(3):
        with transaction.atomic():
            published.append(publish(key).event_id)
    started = time.monotonic()
    with RunningRelay():
        messages = read_all(bootstrap, f"{kafka_topics}{TOPIC}", expect=3, timeout=10)
        assert [json.loads(m.value())["event_id"] for m in messages] == published
        assert time.monotonic() - started < 10
        deadline = time.monotonic() + 5
        while OutboxEvent.objects.filter(sent_at__isnull=True).exists():
            assert time.monotonic() < deadline
            time.sleep(0.05)
