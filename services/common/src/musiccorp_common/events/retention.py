"""Retention of the event tables: processed-event rows and sent outbox rows do not live forever.

Both carry personal data (envelopes hold customer emails and addresses; the inbox keeps keys and
correlation ids). Once an outbox row is sent and an incoming event is older than any redelivery
the broker could still make, the row has no further use. Unsent outbox rows are never deleted,
whatever their age: they are events the relay still owes Kafka.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from musiccorp_common.models import OutboxEvent, ProcessedEvent


@dataclass(frozen=True)
class PruneResult:
    cutoff: datetime
    processed_events: int
    outbox_events: int


def _old_rows(retention_days: int):
    cutoff = timezone.now() - timedelta(days=retention_days)
    return cutoff, {
        "processed_events": ProcessedEvent.objects.filter(processed_at__lt=cutoff),
        "outbox_events": OutboxEvent.objects.filter(sent_at__isnull=False, sent_at__lt=cutoff),
    }


def _delete_in_batches(queryset, batch_size: int) -> int:
    deleted = 0
    while True:
        with transaction.atomic():
            keys = list(queryset.values_list("pk", flat=True)[:batch_size])
            if not keys:
                return deleted
            deleted += queryset.model.objects.filter(pk__in=keys).delete()[0]


def prune_events(retention_days: int, batch_size: int = 1000, dry_run: bool = False) -> PruneResult:
    """Delete (or, with dry_run, count) the rows older than ``retention_days``, one batch per transaction."""
    cutoff, querysets = _old_rows(retention_days)
    if dry_run:
        counts = {name: qs.count() for name, qs in querysets.items()}
    else:
        counts = {name: _delete_in_batches(qs, batch_size) for name, qs in querysets.items()}
    return PruneResult(cutoff=cutoff, **counts)
