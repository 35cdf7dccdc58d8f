"""The consumer loop behind every service's ``manage.py consume``.

The loop takes up to ``EVENTS_CONSUMER_BATCH_SIZE`` messages per fetch and handles them in one
database transaction, bounded by a statement and a lock timeout: per message, decode and
validate, then a savepoint that records the event_id (a duplicate is recognised and skipped)
and runs the handler. The offsets are stored only after that transaction committed, and the
client commits the stored offsets once a second (EVENTS_CONSUMER_COMMIT_INTERVAL_MS); when
partitions are revoked and at shutdown the loop commits synchronously. A
message that fails in the batch ends it there: what came before is committed, and that message
and the rest of the batch go one at a time through the retry path below, so order per
partition and the failure policy are those of a message handled alone. A message that is not
a valid event, or whose handler runs its own transactions (``handles_own_transaction``), is
handled alone between the batch's transactions. The loop thread keeps its database connection
between batches (CONN_MAX_AGE), checks it at most once a second and after a failure, and bounds
its statements once per session.

Failures are split (docs/decisions/0006-transient-and-permanent-failures.md): a transient one
(database or Kafka unavailable, a timeout, a serialization conflict or deadlock) is retried
with capped exponential backoff for as long as it takes, never dead-lettered, and makes the
consumer not ready meanwhile; any other failure is retried ``EVENTS_MAX_ATTEMPTS`` times, then
the message goes to ``<topic>.dlq`` with the error attached and the loop goes on. A message
that is not a valid event goes to the DLQ at once. While it backs off, the loop pauses its
partitions and keeps polling, so it stays in its group however long the wait.
See docs/decisions/0004-consumer-error-policy.md.
"""

import contextlib
import logging
import threading
import time
import weakref
from collections.abc import Callable

from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition
from django.conf import settings
from django.db import transaction
from opentelemetry import context as otel_context
from opentelemetry import propagate, trace

from musiccorp_common.correlation import accept_or_generate, use_correlation_id
from musiccorp_common.events.connection_check import ConnectionCheck
from musiccorp_common.events.envelope import TOPIC_OWNERS, Envelope, InvalidEvent, parse_envelope, topic_for
from musiccorp_common.events.failures import is_transient
from musiccorp_common.events.headers import CORRELATION_HEADER, from_kafka_headers, span_attributes
from musiccorp_common.events.kafka_config import consumer_config, producer_config
from musiccorp_common.events.metrics import (
    CONSUMER_LAG,
    CONSUMER_RETRYING,
    EVENT_HANDLE_SECONDS,
    EVENT_HANDLER_ERRORS,
    EVENTS_CONSUMED,
    EVENTS_DEAD_LETTERED,
)

logger = logging.getLogger("musiccorp.events.consumer")
# Longest single poll while backing off: bounds how late a stop request is noticed and how stale
# the liveness heartbeat gets (and keeps well inside max.poll.interval.ms).
BACKOFF_POLL_SECONDS = 0.5
tracer = trace.get_tracer("musiccorp.events")

Handler = Callable[[Envelope], None]


class _BatchStopped:
    """Why a batch's transaction ended before its last message (see _handle_in_one_transaction)."""

    def __init__(self, error: Exception | None = None, *, first_attempt: bool = False):
        # error None: the next message is to be handled alone (invalid, or its own transactions).
        # first_attempt: error is the next message's own first failed attempt; otherwise the
        # transaction failed as a whole and nothing in it can be blamed on one message.
        self.error = error
        self.first_attempt = first_attempt


class ConsumerFailed(RuntimeError):
    """The loop cannot go on (fatal Kafka error, too many errors in a row, DLQ unreachable)."""


class _Interrupted(Exception):
    """Shutdown was asked for while a message was being retried: leave it uncommitted."""


class ForeignProducer(InvalidEvent):
    """An envelope names a producer that does not own its topic (contract: Security)."""


def _check_owner(envelope: Envelope) -> None:
    # ACLs already keep other services off the topic; this also catches an envelope forged or
    # copied by a client that may write there (docs/security.md).
    owner = TOPIC_OWNERS.get(envelope.event_type)
    if envelope.producer != owner:
        raise ForeignProducer(f"producer {envelope.producer!r} does not own {envelope.event_type!r} (owner: {owner!r})")


def handles_own_transaction(handler: Callable) -> Callable:
    """Mark a handler that must commit work before its final transaction.

    Payment records a PENDING payment and commits it before it calls the provider, so a crash
    in between can never lose the fact that a charge may have been asked for. Such a handler is
    called outside any transaction as ``handler(envelope, mark_processed)``; it calls
    ``mark_processed()`` inside its own last ``transaction.atomic()`` (the one that records the
    outcome and publishes), which records the event_id and returns False for a duplicate, in
    which case the handler must leave that transaction without effect and return False.
    """
    handler.handles_own_transaction = True
    return handler


def dlq_topic(topic: str) -> str:
    return f"{topic}.dlq"


class EventConsumer:
    def __init__(
        self,
        *,
        group_id: str,
        handlers: dict[str, Handler],
        stop: threading.Event,
        consumer: Consumer | None = None,
        dlq_producer: Producer | None = None,
    ):
        self.group_id = group_id
        self.handlers = handlers
        self.stop = stop
        self.consumer = consumer or Consumer(consumer_config(group_id))
        self.dlq_producer = dlq_producer or Producer(producer_config())
        self.max_attempts = settings.EVENTS_MAX_ATTEMPTS
        self.backoff_seconds = settings.EVENTS_RETRY_BACKOFF_SECONDS
        self.transient_backoff_max = settings.EVENTS_TRANSIENT_BACKOFF_MAX_SECONDS
        self.max_consecutive_errors = settings.EVENTS_MAX_CONSECUTIVE_KAFKA_ERRORS
        self.batch_size = settings.EVENTS_CONSUMER_BATCH_SIZE
        self.heartbeat = time.monotonic()
        # (topic, partition) -> offset of the last message finished there (its transaction
        # committed): committed synchronously when partitions are revoked and at shutdown, since
        # the client's periodic commit of the stored offsets runs in the background.
        self._done: dict[tuple[str, int], int] = {}
        # The same for the batch in hand, until its offsets are stored.
        self._uncommitted: dict[tuple[str, int], int] = {}
        # Partitions revoked while the batch in hand was being handled: the rest of their
        # messages is left to the new owner.
        self._revoked: set[tuple[str, int]] = set()
        # monotonic time since when a message has been failing transiently (None: not retrying);
        # readiness is false meanwhile.
        self.retrying_since: float | None = None
        self._paused: list[TopicPartition] = []
        self._connection_check = ConnectionCheck()
        # (connection, its bounds) the loop thread's session was last bounded for (_bound_session).
        self._bounded_session: tuple[weakref.ref, tuple[str, str]] | None = None

    @property
    def ready(self) -> bool:
        """False while a message waits for the database or Kafka to come back."""
        return self.retrying_since is None

    @property
    def topics(self) -> list[str]:
        return sorted(topic_for(event_type) for event_type in self.handlers)

    def run(self) -> None:
        """Consume until ``stop`` is set; the consumer is always closed (leaving the group at once)."""
        self.consumer.subscribe(self.topics, on_assign=_log_assignment("assigned"), on_revoke=self._on_revoke)
        logger.info("consumer started", extra={"group_id": self.group_id, "topics": self.topics})
        consecutive_errors = 0
        try:
            while not self.stop.is_set():
                self.heartbeat = time.monotonic()
                batch = []
                for message in self._fetch():
                    if message.error():
                        consecutive_errors = self._on_kafka_error(message.error(), consecutive_errors)
                        continue
                    consecutive_errors = 0
                    batch.append(message)
                if not batch:
                    continue
                try:
                    self._process_batch(batch)
                except _Interrupted:
                    break
        finally:
            try:
                self._commit_done_offsets(list(self._done))
            finally:
                self.consumer.close()
                self.dlq_producer.flush(10)
                logger.info("consumer stopped", extra={"group_id": self.group_id})

    def _fetch(self) -> list:
        """Up to ``batch_size`` messages: waits (at most 1 s) for the first one only.

        consume(n, timeout) alone would wait for n messages or the whole timeout, so a lone
        message would wait up to a second; poll() returns the first as soon as it is there,
        and consume(n - 1, 0) adds what the client has already fetched behind it.
        """
        first = self.consumer.poll(1.0)
        if first is None:
            return []
        if self.batch_size <= 1 or first.error():
            return [first]
        return [first, *self.consumer.consume(self.batch_size - 1, 0)]

    def _process_batch(self, messages: list) -> None:
        """Handle a fetched batch in order, in as few transactions as it allows; commit its offsets once."""
        self._revoked.clear()
        remaining = messages
        while remaining:
            done, stopped = self._handle_in_one_transaction(remaining)
            self._finished(remaining[:done])
            remaining = remaining[done:]
            if stopped is None:
                break
            # The next message is handled alone, possibly after a long wait: what is done so far
            # has its offsets committed first.
            self._commit_offsets()
            if stopped.error is None:
                self._finish_alone(remaining[0])
                remaining = self._not_revoked(remaining[1:])
                continue
            # A failure: that message and the rest of the batch one at a time, as if each had
            # been fetched alone (the retries, their pauses and the DLQ exactly as for one).
            first_error = stopped.error if stopped.first_attempt else None
            for message in remaining:
                if (message.topic(), message.partition()) not in self._revoked:
                    self._finish_alone(message, first_error)
                first_error = None
            remaining = []
        self._commit_offsets()

    def _finish_alone(self, message, first_error: Exception | None = None) -> None:
        self.process(message, first_error=first_error)
        self._finished([message])

    def _not_revoked(self, messages: list) -> list:
        return [m for m in messages if (m.topic(), m.partition()) not in self._revoked]

    def _handle_in_one_transaction(self, messages: list) -> tuple[int, _BatchStopped | None]:
        """Handle messages from the start of ``messages`` in one transaction; how many are done, and why it stopped.

        Each message after the first gets a savepoint, so a failing one is undone alone and the
        ones before it are committed. The first one needs none: if it fails, the transaction
        holds nothing else, and its failure counts as its first attempt. The transaction stops
        before a message that is not a valid event or whose handler runs its own transactions.
        """
        batchable = []
        for message in messages:
            envelope = self._envelope_or_none(message)
            if envelope is None or getattr(self.handlers[envelope.event_type], "handles_own_transaction", False):
                break
            batchable.append((message, envelope))
        if not batchable:
            return 0, _BatchStopped()
        outcomes: list[str] = []
        stopped = None if len(batchable) == len(messages) else _BatchStopped()
        first_attempt = None  # whether a failure of the whole transaction is the first message's attempt
        try:
            self._prepare_connection()
            with transaction.atomic():
                for message, envelope in batchable:
                    self.heartbeat = time.monotonic()
                    try:
                        outcomes.append(self._handle_in_savepoint(message, envelope, savepoint=bool(outcomes)))
                    except Exception as exc:
                        if not outcomes or transaction.get_rollback():
                            # The first message's attempt (it had no savepoint), or a savepoint
                            # that could not be rolled back (the connection is gone): all is lost.
                            first_attempt = not outcomes
                            raise
                        stopped = _BatchStopped(exc, first_attempt=True)
                        break
                # Leaving the block commits; a failure there is the first message's alone if
                # the transaction holds nothing else.
                first_attempt = len(outcomes) == 1
        except Exception as exc:
            # Nothing of the transaction holds (also when it failed before any handler ran: that
            # is the first message's attempt, as it would be alone). When the failure cannot be
            # blamed on the first message, each message is tried alone, from the first.
            return 0, _BatchStopped(exc, first_attempt=first_attempt is None or first_attempt)
        for (message, envelope), outcome in zip(batchable, outcomes, strict=False):
            self._count(message.topic(), envelope.event_type, outcome)
        return len(outcomes), stopped

    def _envelope_or_none(self, message) -> Envelope | None:
        """The message's valid envelope, or None for one that is to be dead-lettered (by process())."""
        try:
            return self._valid_envelope(message)
        except InvalidEvent:
            return None

    def _handle_in_savepoint(self, message, envelope: Envelope, *, savepoint: bool) -> str:
        with (
            EVENT_HANDLE_SECONDS.labels(message.topic()).time(),
            self._message_context(message, envelope),
            transaction.atomic(savepoint=savepoint),
        ):
            # Recorded first, in the handler's savepoint: both happen or neither.
            if not _record_processed(message, envelope):
                return "duplicate"
            self.handlers[envelope.event_type](envelope)
        return "handled"

    def process(self, message, *, first_error: Exception | None = None) -> str:
        """Handle one message alone to an outcome: handled, duplicate or dead_lettered.

        ``first_error``: its first attempt already failed so (in a batch's transaction); the
        retries go on from there.
        """
        topic = message.topic()
        with EVENT_HANDLE_SECONDS.labels(topic).time():
            try:
                envelope = self._valid_envelope(message)
            except InvalidEvent as exc:
                self._dead_letter(message, exc)
                return self._count(topic, "invalid", "dead_lettered")
            with self._message_context(message, envelope):
                outcome = self._handle_with_retries(message, envelope, first_error)
            return self._count(topic, envelope.event_type, outcome)

    def _valid_envelope(self, message) -> Envelope:
        topic = message.topic()
        envelope = parse_envelope(message.value())
        if envelope.event_type not in self.handlers or topic_for(envelope.event_type) != topic:
            raise InvalidEvent(f"event type {envelope.event_type!r} does not belong on topic {topic!r}")
        _check_owner(envelope)
        return envelope

    @contextlib.contextmanager
    def _message_context(self, message, envelope: Envelope):
        """The message's correlation id and trace context, and its consumer span."""
        topic = message.topic()
        headers = from_kafka_headers(message.headers())
        correlation_id = accept_or_generate(envelope.correlation_id or headers.get(CORRELATION_HEADER))
        token = otel_context.attach(propagate.extract(headers))
        try:
            with (
                use_correlation_id(correlation_id),
                tracer.start_as_current_span(
                    f"{topic} process",
                    kind=trace.SpanKind.CONSUMER,
                    attributes=span_attributes(topic, envelope.event_id, correlation_id),
                ),
            ):
                yield
        finally:
            otel_context.detach(token)

    def _handle_with_retries(self, message, envelope: Envelope, first_error: Exception | None = None) -> str:
        failures = 0  # permanent-kind failures; transient ones never count towards the DLQ
        transient_streak = 0
        error = first_error
        try:
            while True:
                if error is None:
                    try:
                        # After a failure, the connection is checked now, whenever it was last.
                        self._prepare_connection(check=failures + transient_streak > 0)
                        return self._handle_once(message, envelope)
                    except Exception as exc:
                        error = exc
                EVENT_HANDLER_ERRORS.labels(message.topic()).inc()
                if is_transient(error):
                    transient_streak += 1
                    # The exponent is capped too: an outage of hours must not overflow the float.
                    delay = min(self.backoff_seconds * 2 ** min(transient_streak - 1, 16), self.transient_backoff_max)
                    self._enter_transient_retry(message, envelope, error, transient_streak, delay)
                else:
                    failures += 1
                    self._leave_transient_retry()
                    logger.warning(
                        "handler failed (attempt %d of %d): %s",
                        failures,
                        self.max_attempts,
                        error,
                        extra=_message_fields(message, envelope),
                        exc_info=failures == self.max_attempts,
                    )
                    if failures >= self.max_attempts:
                        self._dead_letter(message, error)
                        return "dead_lettered"
                    delay = self.backoff_seconds * 2 ** (failures - 1)
                self._back_off(delay, error)
                error = None  # the next attempt
        finally:
            self._leave_transient_retry()
            self._resume_paused()

    def _enter_transient_retry(self, message, envelope: Envelope, error: Exception, streak: int, delay: float) -> None:
        if self.retrying_since is None:
            self.retrying_since = time.monotonic()
            CONSUMER_RETRYING.set(1)
        logger.warning(
            "transient failure (%d in a row), retrying in %.1f s, not ready meanwhile: %s: %s",
            streak,
            delay,
            type(error).__name__,
            error,
            extra=_message_fields(message, envelope),
            exc_info=streak == 1,
        )

    def _leave_transient_retry(self) -> None:
        if self.retrying_since is not None:
            logger.info("recovered after %.1f s of transient failures", time.monotonic() - self.retrying_since)
            self.retrying_since = None
            CONSUMER_RETRYING.set(0)

    def _back_off(self, seconds: float, error: Exception) -> None:
        """Wait ``seconds`` while staying a live member of the group; raise _Interrupted on stop.

        Sleeping here without polling would, after max.poll.interval.ms, make librdkafka leave
        the group: the partitions would move to another consumer while this one still works on
        the message. So the assigned partitions are paused (a poll then returns no messages of
        theirs, and the message in hand stays the next to commit) and poll() keeps being called
        in short slices, which keeps the membership, serves rebalance callbacks, and lets the
        loop notice a stop request and turn its liveness heartbeat.
        """
        self._pause_assignment()
        deadline = time.monotonic() + seconds
        while not self.stop.is_set():
            self.heartbeat = time.monotonic()
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            message = self.consumer.poll(min(remaining, BACKOFF_POLL_SECONDS))
            if message is not None:
                self._put_back(message)
        raise _Interrupted from error

    def _pause_assignment(self) -> None:
        fresh = [tp for tp in self.consumer.assignment() if (tp.topic, tp.partition) not in self._paused_keys()]
        if fresh:
            self.consumer.pause(fresh)
            self._paused += fresh

    def _paused_keys(self) -> set[tuple[str, int]]:
        return {(tp.topic, tp.partition) for tp in self._paused}

    def _put_back(self, message) -> None:
        """A message polled during a backoff (a partition assigned meanwhile): fetch it again later."""
        if message.error():
            if message.error().fatal():
                raise ConsumerFailed(f"fatal Kafka error: {message.error()}")
            logger.info("Kafka error while backing off: %s", message.error())
            return
        partition = TopicPartition(message.topic(), message.partition(), message.offset())
        try:
            self.consumer.pause([partition])
            self._paused.append(partition)
            self.consumer.seek(partition)
        except KafkaException as exc:
            # Going on could commit a later offset of this partition and skip the message.
            raise ConsumerFailed(f"could not put back {message.topic()}@{message.offset()}: {exc}") from exc

    def _resume_paused(self) -> None:
        if not self._paused:
            return
        paused, self._paused = self._paused, []
        try:
            self.consumer.resume(paused)
        except KafkaException as exc:
            # A partition revoked during the backoff is no longer ours to resume; the rest are.
            logger.info("resume after backoff: %s", exc)
            for partition in paused:
                with contextlib.suppress(KafkaException):
                    self.consumer.resume([partition])

    def _prepare_connection(self, *, check: bool = False) -> None:
        """A usable connection for the next transaction (ConnectionCheck), its statements bounded.

        A connection that broke since the last check fails the transaction, a transient failure
        whose retry checks it (``check``, or Django's own mark of a failed statement).
        """
        from django.db import connection

        self._connection_check.when_due(now=check or connection.errors_occurred)
        self._bound_session()

    def _bound_session(self) -> None:
        """The handlers' statement bounds, set once per session rather than in each transaction.

        The loop thread's connection serves nothing but the loop, so the bounds may hold for the
        whole session. Inside a transaction (a test's) they are SET LOCAL every time instead:
        a session setting made there would be undone with it.
        """
        from django.db import connection

        bounds = _statement_bounds()
        if connection.in_atomic_block:
            _set_statement_bounds(bounds, local=True)
            return
        connection.ensure_connection()
        bounded = self._bounded_session
        if bounded is not None and bounded[0]() is connection.connection and bounded[1] == bounds:
            return
        _set_statement_bounds(bounds, local=False)
        self._bounded_session = (weakref.ref(connection.connection), bounds)

    def _handle_once(self, message, envelope: Envelope) -> str:
        handler = self.handlers[envelope.event_type]
        if getattr(handler, "handles_own_transaction", False):
            handled = handler(envelope, lambda: _record_processed(message, envelope))
            return "duplicate" if handled is False else "handled"
        with transaction.atomic():
            # Recorded first, in the handler's transaction: both happen or neither. The insert also
            # holds the event_id, so a concurrent duplicate waits here and then finds it done.
            if not _record_processed(message, envelope):
                return "duplicate"
            handler(envelope)
        return "handled"

    def _dead_letter(self, message, error: Exception) -> None:
        topic = message.topic()
        headers = [
            *(message.headers() or []),
            ("x-dlq-error", f"{type(error).__name__}: {error}"[:4000].encode()),
            ("x-dlq-original-topic", topic.encode()),
            ("x-dlq-original-partition", str(message.partition()).encode()),
            ("x-dlq-original-offset", str(message.offset()).encode()),
            ("x-dlq-consumer-group", self.group_id.encode()),
        ]
        delivery: dict = {}
        self.dlq_producer.produce(
            dlq_topic(topic),
            key=message.key(),
            value=message.value(),
            headers=headers,
            on_delivery=lambda err, msg: delivery.setdefault("error", err),
        )
        self.dlq_producer.flush(30)
        if delivery.get("error", "no acknowledgement") is not None:
            # Never commit past a message that is neither handled nor parked: stop, let the pod restart.
            raise ConsumerFailed(f"could not dead-letter {topic}@{message.offset()}: {delivery.get('error', 'timeout')}")
        EVENTS_DEAD_LETTERED.labels(topic).inc()
        logger.error("message dead-lettered to %s: %s", dlq_topic(topic), error, extra=_message_fields(message))

    def _finished(self, messages: list) -> None:
        """Their transactions committed: their offsets may be committed."""
        for message in messages:
            self._done[(message.topic(), message.partition())] = message.offset()
            self._uncommitted[(message.topic(), message.partition())] = message.offset()

    def _commit_offsets(self) -> None:
        """Store the finished offsets, each partition's last one + 1, for the client's next commit.

        The client commits stored offsets every EVENTS_CONSUMER_COMMIT_INTERVAL_MS (kafka_config):
        the transactions have committed, so a commit that comes late or is lost only means a
        redelivery that the event_id check drops; revocation and shutdown commit synchronously.
        """
        if not self._uncommitted:
            return
        done, self._uncommitted = self._uncommitted, {}
        offsets = [TopicPartition(topic, partition, offset + 1) for (topic, partition), offset in done.items()]
        try:
            self.consumer.store_offsets(offsets=offsets)
        except KafkaException as exc:
            # A partition no longer assigned: its new owner gets the messages again.
            logger.warning("offset store failed: %s: %s", ", ".join(f"{o.topic}[{o.partition}]@{o.offset}" for o in offsets), exc)
            return
        for (topic, partition), offset in done.items():
            self._record_lag(topic, partition, offset)

    def _commit_done_offsets(self, partitions: list[tuple[str, int]]) -> None:
        offsets = [
            TopicPartition(topic, partition, self._done.pop((topic, partition)) + 1)
            for topic, partition in partitions
            if (topic, partition) in self._done
        ]
        if not offsets:
            return
        try:
            self.consumer.commit(offsets=offsets, asynchronous=False)
        except KafkaException as exc:
            # A rebalance took the partition away: the new owner gets the message again and drops it
            # as a duplicate by its event_id.
            logger.warning("final offset commit failed: %s", exc)

    def _on_revoke(self, consumer, partitions) -> None:
        _log_assignment("revoked")(consumer, partitions)
        revoked = [(p.topic, p.partition) for p in partitions]
        # Messages of these partitions still in hand are the new owner's to handle.
        self._revoked.update(revoked)
        for key in revoked:
            self._uncommitted.pop(key, None)
        self._commit_done_offsets(revoked)

    def _record_lag(self, topic: str, partition: int, offset: int) -> None:
        try:
            _low, high = self.consumer.get_watermark_offsets(TopicPartition(topic, partition), cached=True)
        except KafkaException:
            return
        if high >= 0:
            CONSUMER_LAG.labels(topic, str(partition)).set(max(high - offset - 1, 0))

    def _on_kafka_error(self, error: KafkaError, consecutive_errors: int) -> int:
        if error.fatal():
            raise ConsumerFailed(f"fatal Kafka error: {error}")
        if error.code() == KafkaError._PARTITION_EOF:
            return consecutive_errors
        consecutive_errors += 1
        logger.warning("Kafka error (%d in a row): %s", consecutive_errors, error)
        if consecutive_errors >= self.max_consecutive_errors:
            raise ConsumerFailed(f"{consecutive_errors} Kafka errors in a row, last: {error}")
        return consecutive_errors

    @staticmethod
    def _count(topic: str, event_type: str, outcome: str) -> str:
        EVENTS_CONSUMED.labels(topic, event_type, outcome).inc()
        return outcome


def _statement_bounds() -> tuple[str, str]:
    return str(settings.EVENTS_HANDLER_STATEMENT_TIMEOUT_MS), str(settings.EVENTS_HANDLER_LOCK_TIMEOUT_MS)


def _set_statement_bounds(bounds: tuple[str, str], *, local: bool) -> None:
    """statement_timeout and lock_timeout (SET LOCAL, or for the session).

    A handler waiting on a lock or a slow query then fails with QueryCanceled or
    LockNotAvailable, a transient failure retried later, instead of holding the loop (and its
    partition) for as long as the database likes.
    """
    from django.db import connection

    statement_timeout, lock_timeout = bounds
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('statement_timeout', %s, %s), set_config('lock_timeout', %s, %s)",
            [statement_timeout, local, lock_timeout, local],
        )


def _record_processed(message, envelope: Envelope) -> bool:
    """Insert the ProcessedEvent row; False when the event_id was already there (a duplicate)."""
    from django.db import connection

    from musiccorp_common.models import ProcessedEvent

    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {ProcessedEvent._meta.db_table} "  # noqa: S608 -- the table name is ours, values are parameters
            "(event_id, topic, event_type, key, correlation_id, occurred_at, processed_at) "
            "VALUES (%s, %s, %s, %s, %s, %s, now()) ON CONFLICT (event_id) DO NOTHING RETURNING event_id",
            [
                envelope.event_id,
                message.topic(),
                envelope.event_type,
                (message.key() or b"").decode(errors="replace"),
                envelope.correlation_id,
                envelope.occurred_at,
            ],
        )
        return cursor.fetchone() is not None


def _message_fields(message, envelope: Envelope | None = None) -> dict:
    fields = {
        "topic": message.topic(),
        "partition": message.partition(),
        "offset": message.offset(),
        "key": (message.key() or b"").decode(errors="replace"),
    }
    if envelope is not None:
        fields["event_id"] = envelope.event_id
    return fields


def _log_assignment(what: str):
    def log(consumer, partitions) -> None:
        logger.info("partitions %s: %s", what, ", ".join(f"{p.topic}[{p.partition}]" for p in partitions))

    return log
