"""A row the broker rejects backs off, is parked after EVENTS_RELAY_MAX_ATTEMPTS, shows in the
gauges, holds its key's later events back until then, and an operator can unpark it."""

import json
import time
import uuid

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.db import transaction
from prometheus_client import REGISTRY, CollectorRegistry, multiprocess

from musiccorp_common.events import publish_event
from musiccorp_common.events.outbox import OutboxRelay
from musiccorp_common.models import OutboxEvent
from musiccorp_common.testing.kafka import create_topics, delete_topics, read_all, wait_for_broker


@pytest.fixture
def tiny_cancelled_topic(settings, bootstrap):
    """order.cancelled accepts no message of an envelope's size; stock.released is a normal topic."""
    prefix = f"test-{uuid.uuid4().hex[:8]}."
    settings.EVENTS_TOPIC_PREFIX = prefix
    wait_for_broker(bootstrap)
    create_topics(bootstrap, [f"{prefix}order.cancelled"], config={"max.message.bytes": "100"})
    create_topics(bootstrap, [f"{prefix}stock.released"])
    yield prefix
    delete_topics(bootstrap, [f"{prefix}order.cancelled", f"{prefix}stock.released"])


def metric(name: str) -> float | None:
    """The value /metrics shows (all processes' files in multiprocess mode)."""
    registry = REGISTRY
    if django_settings.PROMETHEUS_MULTIPROC_DIR:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=django_settings.PROMETHEUS_MULTIPROC_DIR)
    return registry.get_sample_value(name)


def run_until(relay: OutboxRelay, condition, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline
        relay.relay_batch()
        time.sleep(0.05)


@pytest.mark.django_db(transaction=True)
def test_rejected_row_backs_off_is_parked_and_can_be_unparked(tiny_cancelled_topic, bootstrap, settings):
    settings.EVENTS_RELAY_MAX_ATTEMPTS = 3
    settings.EVENTS_RELAY_BACKOFF_SECONDS = 0.5
    settings.EVENTS_RELAY_MAX_BACKOFF_SECONDS = 1
    order_id = str(uuid.uuid4())
    with transaction.atomic():
        rejected = publish_event("order.cancelled", order_id, {"order_id": order_id, "reason": "card_declined"})
    with transaction.atomic():
        later = publish_event("stock.released", order_id, {"order_id": order_id, "items": [{"sku": "CD001", "quantity": 1}]})
    relay = OutboxRelay()

    assert relay.relay_batch() == 0
    row = OutboxEvent.objects.get(event_id=rejected.event_id)
    assert (row.attempts, row.parked_at) == (1, None)
    assert "MSG_SIZE_TOO_LARGE" in row.last_error or "too large" in row.last_error.lower(), row.last_error
    # Neither the row (backing off) nor its key's later event (it would overtake) goes now.
    assert relay.relay_batch() == 0
    assert OutboxEvent.objects.get(event_id=rejected.event_id).attempts == 1
    assert OutboxEvent.objects.get(event_id=later.event_id).sent_at is None

    run_until(relay, lambda: OutboxEvent.objects.get(event_id=rejected.event_id).parked_at is not None, timeout=15)
    row = OutboxEvent.objects.get(event_id=rejected.event_id)
    assert row.attempts == 3
    # Parked, the row no longer holds its key back; it is never tried again by itself.
    run_until(relay, lambda: OutboxEvent.objects.get(event_id=later.event_id).sent_at is not None, timeout=10)
    time.sleep(1.5)
    relay.relay_batch()
    assert OutboxEvent.objects.get(event_id=rejected.event_id).attempts == 3
    [message] = read_all(bootstrap, f"{tiny_cancelled_topic}stock.released", expect=1)
    assert json.loads(message.value())["event_id"] == later.event_id

    relay.refresh_metrics()
    assert metric("musiccorp_outbox_parked") == 1
    assert metric("musiccorp_outbox_pending") == 0
    assert metric("musiccorp_outbox_oldest_unsent_age_seconds") == 0

    call_command("outbox", "--unpark", rejected.event_id)
    row = OutboxEvent.objects.get(event_id=rejected.event_id)
    assert (row.parked_at, row.attempts) == (None, 0)
    relay.refresh_metrics()
    assert metric("musiccorp_outbox_parked") == 0
    assert metric("musiccorp_outbox_pending") == 1
    assert metric("musiccorp_outbox_oldest_unsent_age_seconds") > 0


@pytest.mark.django_db(transaction=True)
def test_unpark_all_and_the_listing(capsys):
    order_id = str(uuid.uuid4())
    with transaction.atomic():
        envelope = publish_event("order.cancelled", order_id, {"order_id": order_id, "reason": "card_declined"})
    OutboxEvent.objects.filter(event_id=envelope.event_id).update(attempts=20, parked_at=OutboxEvent.objects.get().created_at)
    call_command("outbox")
    assert f"parked {envelope.event_id} order.cancelled key={order_id}" in capsys.readouterr().out
    call_command("outbox", "--unpark", "--all")
    assert "unparked 1 outbox rows" in capsys.readouterr().out
    assert OutboxEvent.objects.get().parked_at is None
