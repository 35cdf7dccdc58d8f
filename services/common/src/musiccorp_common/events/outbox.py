"""The transactional outbox: events are rows written with the business change, then relayed.

``publish_event`` inserts the event into ``OutboxEvent`` inside the caller's transaction, so
the event exists exactly when the change does, and NOTIFYs the relays once per transaction.
``OutboxRelay`` moves unsent rows to Kafka without holding a transaction open across Kafka I/O
(docs/decisions/0003-outbox.md):

0. wait, when the last pass left nothing claimable, for a notification, then
   EVENTS_RELAY_COALESCE_MS more, so one claim takes the rows of the commits meanwhile;
1. claim: one statement (autocommit) leases a batch of rows to this relay (``claimed_by``,
   ``claim_expires_at``). Only the oldest unsent row of each key is claimable, so one key's
   events (one order's) are never in flight twice and never overtake each other, whichever
   relay sends them;
2. produce and wait for the acknowledgements, outside any transaction;
3. settle: one statement marks sent the acknowledged rows this relay still holds and says
   whether their keys have later rows (then the relay claims again without waiting); each
   failed row gets a capped exponential backoff, and is parked after EVENTS_RELAY_MAX_ATTEMPTS
   failures (docs/runbooks/outbox.md).

A relay that dies leaves its claimed rows to expire; another relay then sends them again.
Delivery is at least once, and consumers drop the duplicate by its event_id.
"""

import logging
import os
import socket
import threading
import time
import uuid
from contextlib import nullcontext
from datetime import timedelta

from confluent_kafka import KafkaError, KafkaException, Producer
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from django.db.models import Count, Min, Q
from django.db.models.functions import Now
from django.utils import timezone
from opentelemetry import trace

from musiccorp_common.correlation import current_correlation_id, new_correlation_id
from musiccorp_common.events.connection_check import ConnectionCheck
from musiccorp_common.events.envelope import Envelope, build_envelope, topic_for
from musiccorp_common.events.headers import as_kafka_headers, outgoing_headers, span_attributes
from musiccorp_common.events.kafka_config import producer_config
from musiccorp_common.events.metrics import (
    OUTBOX_OLDEST_UNSENT_AGE,
    OUTBOX_PARKED,
    OUTBOX_PENDING,
    OUTBOX_PUBLISH_ERRORS,
    OUTBOX_PUBLISHED,
)

logger = logging.getLogger("musiccorp.events.outbox")
tracer = trace.get_tracer("musiccorp.events")


NOTIFY_CHANNEL = "musiccorp_outbox"
# The gauges read the whole unsent backlog; during a backlog the relay passes many times a second.
METRICS_REFRESH_SECONDS = 1.0
NO_ACKNOWLEDGEMENT = "no acknowledgement before the timeout"


class NotInTransaction(RuntimeError):
    """publish_event was called outside transaction.atomic(): the event would not be atomic with the change."""


def publish_event(event_type: str, key: str, data: dict) -> Envelope:
    """Validate the event and store it in the outbox, in the current transaction."""
    from musiccorp_common.models import OutboxEvent

    if not transaction.get_connection().in_atomic_block:
        raise NotInTransaction(f"publish_event({event_type!r}) must run inside transaction.atomic()")
    correlation_id = current_correlation_id() or new_correlation_id()
    envelope = build_envelope(event_type, data, producer=settings.SERVICE_NAME, correlation_id=correlation_id)
    topic = topic_for(event_type)
    # The producer span: the event's traceparent names it, so each consumer's span is its child and
    # a trace shows which request or handler published what. Without an SDK it records nothing and
    # the traceparent stays the caller's (musiccorp_common.telemetry).
    with tracer.start_as_current_span(
        f"{topic} publish",
        kind=trace.SpanKind.PRODUCER,
        attributes=span_attributes(topic, envelope.event_id, correlation_id),
    ):
        OutboxEvent.objects.create(
            event_id=envelope.event_id,
            topic=topic,
            event_type=event_type,
            key=key,
            envelope=envelope.to_dict(),
            headers=outgoing_headers(correlation_id),
        )
    _notify_relays_once()
    return envelope


def _notify_relays_once() -> None:
    """NOTIFY the relays, once per transaction: PostgreSQL delivers it only when (and if) it commits.

    PostgreSQL folds a transaction's identical notifications into one anyway; this spares the
    statement. The transaction's marker is a no-op commit hook: Django drops it with the
    transaction (commit or rollback) and with a rolled-back savepoint, exactly when PostgreSQL
    drops a NOTIFY sent inside it, so a NOTIFY is sent again after such a rollback.
    """
    db = transaction.get_connection()
    if any(hook is _outbox_notified for _, hook, _ in db.run_on_commit):
        return
    with db.cursor() as cursor:
        cursor.execute(f"NOTIFY {NOTIFY_CHANNEL}")
    transaction.on_commit(_outbox_notified)


def _outbox_notified() -> None:
    """Marks a transaction whose NOTIFY is sent (see _notify_relays_once); does nothing when it commits."""


def capped_backoff(failures: int, base: float, cap: float) -> float:
    """Seconds to wait after the ``failures``-th failure in a row: base, 2 base, 4 base, ... at most cap."""
    return min(cap, base * 2 ** min(max(failures - 1, 0), 32))


# Claims the oldest unsent row of each key that no live lease holds and no backoff delays, in
# one statement (its own short transaction). An older unsent row of the same key, whatever its
# state (leased, backing off, being claimed right now), keeps the newer one back; parked rows
# do not (they wait for an operator). SKIP LOCKED: two relays claiming at once take different rows.
_CLAIM_SQL = """
UPDATE {table} SET claimed_by = %(relay)s, claim_expires_at = now() + make_interval(secs => %(lease)s)
WHERE event_id IN (
    SELECT o.event_id FROM {table} o
    WHERE o.sent_at IS NULL AND o.parked_at IS NULL
      AND (o.claim_expires_at IS NULL OR o.claim_expires_at < now())
      AND (o.next_attempt_at IS NULL OR o.next_attempt_at <= now())
      AND NOT EXISTS (
          SELECT 1 FROM {table} older
          WHERE older.key = o.key AND older.sent_at IS NULL AND older.parked_at IS NULL
            AND (older.created_at, older.event_id) < (o.created_at, o.event_id)
      )
    ORDER BY o.created_at, o.event_id
    LIMIT %(limit)s
    FOR UPDATE OF o SKIP LOCKED
)
RETURNING {columns}
"""

# Marks sent the acknowledged rows this relay still holds (a row whose lease ran out and that
# another relay claimed is that relay's now). Returns, per row marked, whether its key has a
# later unsent row, which this settle just made claimable: the relay then claims again at once
# instead of waiting for a notification (that row's NOTIFY may have woken it already). The
# subquery reads the snapshot before the update, where the settled row itself is still unsent.
_SETTLE_SQL = """
UPDATE {table} AS settled SET sent_at = now(), claim_expires_at = NULL
WHERE settled.event_id = ANY(%(delivered)s) AND settled.claimed_by = %(relay)s AND settled.sent_at IS NULL
RETURNING EXISTS (
    SELECT 1 FROM {table} later
    WHERE later.key = settled.key AND later.sent_at IS NULL AND later.parked_at IS NULL
      AND later.event_id <> settled.event_id
)
"""


class OutboxRelay:
    """Moves outbox rows to Kafka, oldest first, in leased batches; any number of relays may run."""

    def __init__(self, producer: Producer | None = None, relay_id: str | None = None):
        self.producer = producer or Producer(producer_config())
        self.relay_id = relay_id or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.batch_size = settings.EVENTS_RELAY_BATCH_SIZE
        self.idle_seconds = settings.EVENTS_RELAY_IDLE_SECONDS
        # A little beyond message.timeout.ms, so every produced row has its delivery report.
        self.flush_seconds = settings.EVENTS_PUBLISH_TIMEOUT_MS / 1000 + 2
        self.lease_seconds = settings.EVENTS_RELAY_LEASE_SECONDS
        self.max_attempts = settings.EVENTS_RELAY_MAX_ATTEMPTS
        self.backoff_seconds = settings.EVENTS_RELAY_BACKOFF_SECONDS
        self.max_backoff_seconds = settings.EVENTS_RELAY_MAX_BACKOFF_SECONDS
        self.coalesce_seconds = settings.EVENTS_RELAY_COALESCE_MS / 1000
        if self.lease_seconds <= self.flush_seconds:
            # A lease shorter than a produce would hand rows to a second relay while the first still sends them.
            raise ImproperlyConfigured(
                f"EVENTS_RELAY_LEASE_SECONDS ({self.lease_seconds}) must exceed EVENTS_PUBLISH_TIMEOUT_MS + 2 s"
            )
        self._metrics_refreshed = 0.0
        self._connection_check = ConnectionCheck(METRICS_REFRESH_SECONDS)

    def run(self, stop: threading.Event) -> None:
        logger.info("outbox relay started", extra={"relay": self.relay_id})
        listener = _OutboxListener(self.coalesce_seconds)
        failed_passes = 0
        try:
            while not stop.is_set():
                try:
                    self._connection_check.when_due()
                    _, claim_again = self._relay_pass()
                    self._refresh_metrics_when_due()
                    failed_passes = 0
                except Exception:
                    # The database or broker is away: rows stay pending, nothing is lost. Wait
                    # longer after each failed pass, so a dead database is not hammered; the
                    # next pass replaces a broken connection.
                    failed_passes += 1
                    self._connection_check.failed()
                    delay = capped_backoff(failed_passes, self.backoff_seconds, self.max_backoff_seconds)
                    logger.exception("outbox relay pass failed; retrying in %.1f s", delay)
                    stop.wait(delay)
                    continue
                if not claim_again:
                    # Sleep until a committed publish_event notifies (at once if one did during
                    # the pass), then a coalescing window; at most idle_seconds (rows whose
                    # backoff or a dead relay's lease ran out are found then).
                    listener.wait(self.idle_seconds, stop)
        finally:
            listener.close()
            self.producer.flush(self.flush_seconds)
            logger.info("outbox relay stopped", extra={"relay": self.relay_id})

    def relay_batch(self) -> int:
        """Claim, send and settle one batch; returns how many rows were acknowledged and marked sent."""
        return self._relay_pass()[0]

    def _relay_pass(self) -> tuple[int, bool]:
        """One batch: (rows marked sent, whether rows may be claimable now without a notification).

        They may be when the batch was full, or when a settled row's key has a later row waiting
        (it could not be claimed while the settled one was unsent).
        """
        rows = self.claim()
        if not rows:
            return 0, False
        results = self._produce_and_wait(rows)
        if any(isinstance(error, KafkaError) and error.fatal() for error in results.values()):
            # A fatal error (e.g. the idempotent producer's state is lost) ends this producer for good.
            logger.error("outbox producer failed fatally; starting a new one")
            self.producer = Producer(producer_config())
        sent, successor_waits = self._settle(rows, results)
        return sent, len(rows) >= self.batch_size or successor_waits

    def claim(self) -> list:
        """Lease up to batch_size sendable rows to this relay, oldest first.

        One statement in autocommit: it commits by itself, without BEGIN and COMMIT round trips.
        """
        from musiccorp_common.models import OutboxEvent

        meta = OutboxEvent._meta
        columns = ", ".join(connection.ops.quote_name(field.column) for field in meta.concrete_fields)
        sql = _CLAIM_SQL.format(table=connection.ops.quote_name(meta.db_table), columns=columns)
        params = {"relay": self.relay_id, "lease": self.lease_seconds, "limit": self.batch_size}
        rows = list(OutboxEvent.objects.raw(sql, params))
        return sorted(rows, key=lambda row: (row.created_at, str(row.event_id)))

    def _produce_and_wait(self, rows) -> dict:
        """Produce every row, oldest first, and wait for the acknowledgements: event_id -> None (ok) or the error.

        The producer is idempotent (kafka_config.producer_config): its retries neither duplicate
        nor reorder messages of one partition.
        """
        results: dict = {}
        for row in rows:
            try:
                self.producer.produce(
                    row.topic,
                    key=row.key.encode(),
                    value=Envelope(**row.envelope).to_bytes(),
                    headers=as_kafka_headers(row.headers),
                    on_delivery=self._on_delivery(results, row),
                )
            except (KafkaException, BufferError) as exc:
                # Refused before it left (e.g. larger than message.max.bytes): this row's failure,
                # backed off and parked like a broker's refusal, not the whole pass's.
                results[row.event_id] = exc.args[0] if exc.args else exc
                OUTBOX_PUBLISH_ERRORS.labels(row.topic).inc()
        self.producer.flush(self.flush_seconds)
        return results

    @staticmethod
    def _on_delivery(results: dict, row):
        def record(error: KafkaError | None, message) -> None:
            results[row.event_id] = error
            (OUTBOX_PUBLISH_ERRORS if error else OUTBOX_PUBLISHED).labels(row.topic).inc()

        return record

    def _settle(self, rows, results: dict) -> tuple[int, bool]:
        """Mark sent what Kafka acknowledged and back off what failed, for rows this relay still holds.

        Returns how many rows were marked sent and whether a later row of one of their keys waits.
        When every row was acknowledged (the usual case) this is one statement in autocommit.
        """
        failed = [row for row in rows if results.get(row.event_id, NO_ACKNOWLEDGEMENT) is not None]
        delivered = [row.event_id for row in rows if row.event_id in results and results[row.event_id] is None]
        with transaction.atomic() if failed else nullcontext():
            successors = self._mark_sent(delivered)
            for row in failed:
                self._record_failure(row, str(results.get(row.event_id, NO_ACKNOWLEDGEMENT)))
        return len(successors), any(successors)

    def _mark_sent(self, event_ids: list) -> list[bool]:
        """Mark sent the rows this relay still holds; per row marked, whether its key has a later unsent row."""
        from musiccorp_common.models import OutboxEvent

        if not event_ids:
            return []
        with connection.cursor() as cursor:
            cursor.execute(
                _SETTLE_SQL.format(table=connection.ops.quote_name(OutboxEvent._meta.db_table)),
                {"delivered": event_ids, "relay": self.relay_id},
            )
            return [successor for (successor,) in cursor.fetchall()]

    def _record_failure(self, row, error: str) -> None:
        from musiccorp_common.models import OutboxEvent

        attempts = row.attempts + 1
        parked = attempts >= self.max_attempts
        delay = capped_backoff(attempts, self.backoff_seconds, self.max_backoff_seconds)
        extra = {"event_id": str(row.event_id), "topic": row.topic, "attempts": attempts}
        if parked:
            logger.error("outbox event parked after %d failed deliveries: %s", attempts, error, extra=extra)
        else:
            logger.warning("outbox event not delivered, next try in %.1f s: %s", delay, error, extra=extra)
        OutboxEvent.objects.filter(event_id=row.event_id, claimed_by=self.relay_id, sent_at__isnull=True).update(
            attempts=attempts,
            last_error=error[:2000],
            next_attempt_at=Now() + timedelta(seconds=delay),
            parked_at=Now() if parked else None,
            claim_expires_at=None,
        )

    def _refresh_metrics_when_due(self) -> None:
        if time.monotonic() - self._metrics_refreshed >= METRICS_REFRESH_SECONDS:
            self.refresh_metrics()
            self._metrics_refreshed = time.monotonic()

    @staticmethod
    def refresh_metrics() -> None:
        """Set the backlog gauges from the table: unsent rows, parked rows, age of the oldest unsent one."""
        from musiccorp_common.models import OutboxEvent

        live = Q(parked_at__isnull=True)
        backlog = OutboxEvent.objects.filter(sent_at__isnull=True).aggregate(
            pending=Count("pk", filter=live),
            parked=Count("pk", filter=~live),
            oldest=Min("created_at", filter=live),
        )
        OUTBOX_PENDING.set(backlog["pending"])
        OUTBOX_PARKED.set(backlog["parked"])
        oldest = backlog["oldest"]
        OUTBOX_OLDEST_UNSENT_AGE.set((timezone.now() - oldest).total_seconds() if oldest else 0)


class _OutboxListener:
    """LISTENs on the outbox channel on a connection of its own; falls back to sleeping if it cannot.

    After a notification it waits ``coalesce_seconds`` more and takes every notification that
    arrived meanwhile, so under load one claim takes the rows of many commits, at the cost of
    that window's latency when there is no load.
    """

    def __init__(self, coalesce_seconds: float = 0.0):
        self.connection = None
        self.coalesce_seconds = coalesce_seconds

    def wait(self, seconds: float, stop: threading.Event) -> None:
        try:
            if self.connection is None or self.connection.closed:
                self.connection = self._connect()
            # In slices of at most a second, so a stop request is noticed promptly.
            deadline = time.monotonic() + seconds
            while not stop.is_set() and (remaining := deadline - time.monotonic()) > 0:
                if any(True for _ in self.connection.notifies(timeout=min(1.0, remaining), stop_after=1)):
                    self._coalesce(stop)
                    return
        except Exception:
            logger.warning("outbox listener unavailable; polling instead", exc_info=True)
            self.close()
            stop.wait(seconds)

    def _coalesce(self, stop: threading.Event) -> None:
        """Wait the coalescing window, then drop the notifications that arrived: the next claim
        sees their rows, which committed before their NOTIFY was delivered. A notification
        arriving after this stays queued and wakes the next wait."""
        if self.coalesce_seconds > 0:
            stop.wait(self.coalesce_seconds)
        for _ in self.connection.notifies(timeout=0):
            pass

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
