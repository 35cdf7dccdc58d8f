"""Two relay processes on one outbox: each event reaches Kafka once, one key's events in order,
and a killed relay's rows are taken over when its lease runs out (docs/decisions/0003-outbox.md)."""

import json
import signal
import time
import uuid
from collections import Counter, defaultdict

import pytest
from django.db import transaction

from musiccorp_common.events import publish_event
from musiccorp_common.models import OutboxEvent
from musiccorp_common.testing.kafka import read_all

TOPIC = "order.cancelled"


def publish_interleaved(keys: list[str], rounds: int) -> dict[str, list[str]]:
    """``rounds`` transactions, each with one event per key; returns each key's event ids in publish order."""
    published = defaultdict(list)
    for _ in range(rounds):
        with transaction.atomic():
            for key in keys:
                envelope = publish_event(TOPIC, key, {"order_id": key, "reason": "card_declined"})
                published[key].append(envelope.event_id)
    return published


def wait_until_sent(timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while (unsent := OutboxEvent.objects.filter(sent_at__isnull=True).count()) > 0:
        assert time.monotonic() < deadline, f"{unsent} rows still unsent after {timeout} s"
        time.sleep(0.2)


def event_ids_by_key(messages) -> dict[str, list[str]]:
    by_key = defaultdict(list)
    for message in messages:
        by_key[message.key().decode()].append(json.loads(message.value())["event_id"])
    return by_key


@pytest.mark.django_db(transaction=True)
def test_two_relays_send_every_event_once_and_each_key_in_order(kafka_topics, bootstrap, relay_processes):
    # Small batches, so both relays hold claims at the same time.
    relays = [relay_processes(EVENTS_RELAY_BATCH_SIZE=20) for _ in range(2)]
    for relay in relays:
        relay.wait_started()
    keys = [str(uuid.uuid4()) for _ in range(50)]
    published = publish_interleaved(keys, rounds=40)  # 2,000 events, every key in every transaction

    wait_until_sent(timeout=120)
    for relay in relays:
        assert relay.terminate() == 0

    messages = read_all(bootstrap, f"{kafka_topics}{TOPIC}", expect=2000, timeout=60)
    sent_ids = [json.loads(m.value())["event_id"] for m in messages]
    duplicates = [event_id for event_id, n in Counter(sent_ids).items() if n > 1]
    assert len(sent_ids) == 2000
    assert not duplicates
    assert event_ids_by_key(messages) == published
    senders = set(OutboxEvent.objects.values_list("claimed_by", flat=True))
    assert len(senders) == 2, f"both relays sent events, not only {senders}"


@pytest.mark.django_db(transaction=True)
def test_a_killed_relays_rows_are_taken_over_after_its_lease(kafka_topics, bootstrap, relay_processes):
    keys = [str(uuid.uuid4()) for _ in range(3)]
    published = publish_interleaved(keys, rounds=10)
    # The first relay cannot reach a broker: it claims the heads of the three keys, then waits
    # for acknowledgements that do not come, and is killed there.
    doomed = relay_processes(KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:1", EVENTS_PUBLISH_TIMEOUT_MS=5000, EVENTS_RELAY_LEASE_SECONDS=8)
    deadline = time.monotonic() + 30
    while not (claimed := list(OutboxEvent.objects.exclude(claimed_by="").values_list("event_id", "claim_expires_at"))):
        assert time.monotonic() < deadline, doomed.log_path.read_text()
        time.sleep(0.05)
    doomed.process.send_signal(signal.SIGKILL)
    doomed.process.wait(10)
    lease_ends = dict(claimed)
    assert len(lease_ends) == 3, "one row per key: the oldest"

    heir = relay_processes()
    wait_until_sent(timeout=60)
    assert heir.terminate() == 0
    for row in OutboxEvent.objects.filter(event_id__in=lease_ends):
        assert row.sent_at >= lease_ends[row.event_id], "not taken while the dead relay's lease held"

    messages = read_all(bootstrap, f"{kafka_topics}{TOPIC}", expect=30)
    assert event_ids_by_key(messages) == published


@pytest.mark.django_db(transaction=True)
def test_a_relay_that_cannot_reach_the_database_backs_off(relay_processes):
    relay = relay_processes(
        DATABASE_URL="postgres://nobody:nothing@127.0.0.1:1/none",
        EVENTS_RELAY_BACKOFF_SECONDS=0.5,
        EVENTS_RELAY_MAX_BACKOFF_SECONDS=2,
    )
    time.sleep(8)
    assert relay.terminate() == 0, "a SIGTERM during the backoff ends the relay cleanly"
    delays = [
        float(record["message"].split("retrying in ")[1].split(" s")[0])
        for record in relay.log_records()
        if record.get("message", "").startswith("outbox relay pass failed")
    ]
    assert delays[:4] == [0.5, 1.0, 2.0, 2.0], delays
    assert len(delays) <= 6, "at most one pass per backoff, capped at 2 s"
