"""The transactional outbox: events are rows written with the business change, then relayed.

``publish_event`` inserts the event into ``OutboxEvent`` inside the caller's transaction, so
the event exists exactly when the change does. ``OutboxRelay`` sends unsent rows to Kafka and
marks a row sent only after Kafka acknowledged it (the delivery callback). A crash between
the acknowledgement and the mark sends the row again: delivery is at least once, and
consumers drop the duplicate by its event_id (docs/decisions/0003-outbox.md).
"""

import logging
import threading
import time

from confluent_kafka import KafkaError, Producer
from django.conf import settings
from django.db import close_old_connections, transaction
from django.utils import timezone

from musiccorp_common.correlation import current_correlation_id, new_correlation_id
from musiccorp_common.events.envelope import Envelope, build_envelope, topic_for
from musiccorp_common.events.headers import as_kafka_headers, outgoing_headers
from musiccorp_common.events.kafka_config import producer_config
from musiccorp_common.events.metrics import OUTBOX_PENDING, OUTBOX_PUBLISH_ERRORS, OUTBOX_PUBLISHED

logger = logging.getLogger("musiccorp.events.outbox")


NOTIFY_CHANNEL = "musiccorp_outbox"


class NotInTransaction(RuntimeError):
    """publish_event was called outside transaction.atomic(): the event would not be atomic with the change."""


def publish_event(event_type: str, key: str, data: dict) -> Envelope:
    """Validate the event and store it in the outbox, in the current transaction."""
    from musiccorp_common.models import OutboxEvent

    if not transaction.get_connection().in_atomic_block:
        raise NotInTransaction(f"publish_event({event_type!r}) must run inside transaction.atomic()")
    correlation_id = current_correlation_id() or new_correlation_id()
    envelope = build_envelope(event_type, data, producer=settings.SERVICE_NAME, correlation_id=correlation_id)
    OutboxEvent.objects.create(
        event_id=envelope.event_id,
        topic=topic_for(event_type),
        event_type=event_type,
        key=key,
        envelope=envelope.to_dict(),
        headers=outgoing_headers(correlation_id),
    )
    # Wakes the relay; PostgreSQL delivers a NOTIFY only when (and if) the transaction commits.
    with transaction.get_connection().cursor() as cursor:
        cursor.execute(f"NOTIFY {NOTIFY_CHANNEL}")
    return envelope


class OutboxRelay:
    """Moves outbox rows to Kafka, oldest first, in batches; several relays may run (SKIP LOCKED)."""

    def __init__(self, producer: Producer | None = None):
        self.producer = producer or Producer(producer_config())
        self.batch_size = settings.EVENTS_RELAY_BATCH_SIZE
        self.idle_seconds = settings.EVENTS_RELAY_IDLE_SECONDS
        self.flush_seconds = settings.EVENTS_PUBLISH_TIMEOUT_MS / 1000

    def run(self, stop: threading.Event) -> None:
        logger.info("outbox relay started")
        listener = _OutboxListener()
        try:
            while not stop.is_set():
                try:
                    sent = self.relay_batch()
                except Exception:
                    # The database or broker is away: wait and try again; rows stay pending, nothing is lost.
                    logger.exception("outbox relay pass failed; retrying")
                    stop.wait(1.0)
                    continue
                if sent < self.batch_size:
                    # Idle: sleep until a committed publish_event notifies, at most idle_seconds.
                    listener.wait(self.idle_seconds, stop)
        finally:
            listener.close()
            self.producer.flush(self.flush_seconds)
            logger.info("outbox relay stopped")

    def relay_batch(self) -> int:
        """Send one batch; returns how many rows were acknowledged and marked sent."""
        from musiccorp_common.models import OutboxEvent

        close_old_connections()
        with transaction.atomic():
            rows = list(
                OutboxEvent.objects.select_for_update(skip_locked=True)
                .filter(sent_at__isnull=True)
                .order_by("created_at")[: self.batch_size]
            )
            if not rows:
                OUTBOX_PENDING.set(0)
                return 0
            results = self._produce_and_wait(rows)
            delivered = {event_id for event_id, error in results.items() if error is None}
            OutboxEvent.objects.filter(event_id__in=delivered).update(sent_at=timezone.now())
            for row in rows:
                if row.event_id not in delivered:
                    self._record_failure(row, str(results.get(row.event_id) or "no acknowledgement before the timeout"))
        OUTBOX_PENDING.set(len(rows) - len(delivered))
        return len(delivered)

    def _produce_and_wait(self, rows) -> dict:
        """Produce every row and wait for the acknowledgements: event_id -> None (ok) or the error."""
        results: dict = {}
        for row in rows:
            self.producer.produce(
                row.topic,
                key=row.key.encode(),
                value=Envelope(**row.envelope).to_bytes(),
                headers=as_kafka_headers(row.headers),
                on_delivery=self._on_delivery(results, row),
            )
        self.producer.flush(self.flush_seconds)
        return results

    @staticmethod
    def _on_delivery(results: dict, row):
        def record(error: KafkaError | None, message) -> None:
            results[row.event_id] = error
            (OUTBOX_PUBLISH_ERRORS if error else OUTBOX_PUBLISHED).labels(row.topic).inc()

        return record

    @staticmethod
    def _record_failure(row, error: str) -> None:
        from musiccorp_common.models import OutboxEvent

        logger.warning("outbox event not delivered: %s", error, extra={"event_id": str(row.event_id), "topic": row.topic})
        OutboxEvent.objects.filter(event_id=row.event_id).update(attempts=row.attempts + 1, last_error=error[:2000])


class _OutboxListener:
    """LISTENs on the outbox channel on a connection of its own; falls back to sleeping if it cannot."""

    def __init__(self):
        self.connection = None

    def wait(self, seconds: float, stop: threading.Event) -> None:
        try:
            if self.connection is None or self.connection.closed:
                self.connection = self._connect()
            # In slices of at most a second, so a stop request is noticed promptly.
            deadline = time.monotonic() + seconds
            while not stop.is_set() and (remaining := deadline - time.monotonic()) > 0:
                if any(True for _ in self.connection.notifies(timeout=min(1.0, remaining), stop_after=1)):
                    return
        except Exception:
            logger.warning("outbox listener unavailable; polling instead", exc_info=True)
            self.close()
            stop.wait(seconds)

    @staticmethod
    def _connect():
        import psycopg
        from django.db import connection

        listener = psycopg.connect(**connection.get_connection_params(), autocommit=True)
        listener.execute(f"LISTEN {NOTIFY_CHANNEL}")
        return listener

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None
