"""prune_events deletes old processed-event and sent outbox rows, keeps recent and unsent ones."""

import uuid
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from musiccorp_common.models import OutboxEvent, ProcessedEvent

pytestmark = pytest.mark.django_db


def _outbox(age_days: float, sent: bool) -> OutboxEvent:
    row = OutboxEvent.objects.create(topic="orders.order-placed", event_type="OrderPlaced", key="k", envelope={})
    at = timezone.now() - timedelta(days=age_days)
    OutboxEvent.objects.filter(pk=row.pk).update(created_at=at, sent_at=at if sent else None)
    return row


def _processed(age_days: float) -> ProcessedEvent:
    row = ProcessedEvent.objects.create(event_id=uuid.uuid4(), topic="t", event_type="E", key="k")
    ProcessedEvent.objects.filter(pk=row.pk).update(processed_at=timezone.now() - timedelta(days=age_days))
    return row


def _prune(*args: str) -> str:
    out = StringIO()
    call_command("prune_events", *args, stdout=out)
    return out.getvalue()


def test_prune_removes_old_rows_and_keeps_recent_and_unsent_ones(settings):
    settings.EVENTS_RETENTION_DAYS = 7
    old_sent, recent_sent, old_unsent = _outbox(30, sent=True), _outbox(1, sent=True), _outbox(30, sent=False)
    old_processed, recent_processed = _processed(30), _processed(1)

    output = _prune("--batch-size", "1")

    assert "deleted 1 processed events and 1 sent outbox events" in output
    assert set(OutboxEvent.objects.values_list("pk", flat=True)) == {recent_sent.pk, old_unsent.pk}
    assert set(ProcessedEvent.objects.values_list("pk", flat=True)) == {recent_processed.pk}
    assert not OutboxEvent.objects.filter(pk=old_sent.pk).exists()
    assert not ProcessedEvent.objects.filter(pk=old_processed.pk).exists()


def test_dry_run_counts_and_deletes_nothing():
    _outbox(30, sent=True)
    _processed(30)

    output = _prune("--dry-run", "--days", "7")

    assert "would delete 1 processed events and 1 sent outbox events" in output
    assert OutboxEvent.objects.count() == 1
    assert ProcessedEvent.objects.count() == 1


def test_retention_comes_from_the_days_option():
    _processed(3)
    assert "deleted 0 processed" in _prune("--days", "7")
    assert "deleted 1 processed" in _prune("--days", "2")
