"""The consumer loop behind every service's ``manage.py consume``.

Per message: a fresh database connection, decode and validate, then the handler in one
transaction that also records the event_id (a duplicate is recognised and skipped), then the
offset commit -- only after that transaction committed. A failing handler is retried with
backoff; after the last attempt the message goes to ``<topic>.dlq`` with the error attached
and the loop goes on. A message that is not a valid event goes to the DLQ at once.
See docs/decisions/0004-consumer-error-policy.md.
"""

import logging
import threading
import time
from collections.abc import Callable

from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition
from django.conf import settings
from django.db import close_old_connections, transaction
from opentelemetry import context as otel_context
from opentelemetry import propagate, trace

from musiccorp_common.correlation import accept_or_generate, use_correlation_id
from musiccorp_common.events.envelope import TOPIC_OWNERS, Envelope, InvalidEvent, parse_envelope, topic_for
from musiccorp_common.events.headers import CORRELATION_HEADER, from_kafka_headers
from musiccorp_common.events.kafka_config import consumer_config, producer_config
from musiccorp_common.events.metrics import (
    CONSUMER_LAG,
    EVENT_HANDLE_SECONDS,
    EVENT_HANDLER_ERRORS,
    EVENTS_CONSUMED,
    EVENTS_DEAD_LETTERED,
)

logger = logging.getLogger("musiccorp.events.consumer")
tracer = trace.get_tracer("musiccorp.events")

Handler = Callable[[Envelope], None]


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
        self.max_consecutive_errors = settings.EVENTS_MAX_CONSECUTIVE_KAFKA_ERRORS
        self.heartbeat = time.monotonic()
        # (topic, partition) -> offset of the last message finished there: committed synchronously
        # when partitions are revoked and at shutdown, since per-message commits are asynchronous.
        self._done: dict[tuple[str, int], int] = {}

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
                message = self.consumer.poll(1.0)
                if message is None:
                    continue
                if message.error():
                    consecutive_errors = self._on_kafka_error(message.error(), consecutive_errors)
                    continue
                consecutive_errors = 0
                try:
                    self.process(message)
                except _Interrupted:
                    break
                self._commit(message)
        finally:
            try:
                self._commit_done_offsets(list(self._done))
            finally:
                self.consumer.close()
                self.dlq_producer.flush(10)
                logger.info("consumer stopped", extra={"group_id": self.group_id})

    def process(self, message) -> str:
        """Handle one message to an outcome: handled, duplicate or dead_lettered."""
        topic = message.topic()
        with EVENT_HANDLE_SECONDS.labels(topic).time():
            try:
                envelope = parse_envelope(message.value())
                if envelope.event_type not in self.handlers or topic_for(envelope.event_type) != topic:
                    raise InvalidEvent(f"event type {envelope.event_type!r} does not belong on topic {topic!r}")
                _check_owner(envelope)
            except InvalidEvent as exc:
                self._dead_letter(message, exc)
                return self._count(topic, "invalid", "dead_lettered")
            headers = from_kafka_headers(message.headers())
            correlation_id = accept_or_generate(envelope.correlation_id or headers.get(CORRELATION_HEADER))
            token = otel_context.attach(propagate.extract(headers))
            try:
                with (
                    use_correlation_id(correlation_id),
                    tracer.start_as_current_span(
                        f"{topic} process",
                        kind=trace.SpanKind.CONSUMER,
                        attributes={
                            "messaging.system": "kafka",
                            "messaging.destination.name": topic,
                            "messaging.message.id": envelope.event_id,
                            "musiccorp.correlation_id": correlation_id,
                        },
                    ),
                ):
                    outcome = self._handle_with_retries(message, envelope)
            finally:
                otel_context.detach(token)
            return self._count(topic, envelope.event_type, outcome)

    def _handle_with_retries(self, message, envelope: Envelope) -> str:
        for attempt in range(1, self.max_attempts + 1):
            # A long-running command must not reuse a connection the server has closed.
            close_old_connections()
            try:
                return self._handle_once(message, envelope)
            except Exception as exc:
                EVENT_HANDLER_ERRORS.labels(message.topic()).inc()
                logger.warning(
                    "handler failed (attempt %d of %d): %s",
                    attempt,
                    self.max_attempts,
                    exc,
                    extra=_message_fields(message, envelope),
                    exc_info=attempt == self.max_attempts,
                )
                last_error = exc
                if attempt < self.max_attempts and self.stop.wait(self.backoff_seconds * 2 ** (attempt - 1)):
                    raise _Interrupted from exc
        self._dead_letter(message, last_error)
        return "dead_lettered"

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

    def _commit(self, message) -> None:
        # Asynchronous: the handler's transaction has committed, so a lost commit only means a
        # redelivery that the event_id check drops; revocation and shutdown commit synchronously.
        self._done[(message.topic(), message.partition())] = message.offset()
        try:
            self.consumer.commit(message=message, asynchronous=True)
        except KafkaException as exc:
            logger.warning("offset commit failed: %s", exc, extra=_message_fields(message))
            return
        self._record_lag(message)

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
        self._commit_done_offsets([(p.topic, p.partition) for p in partitions])

    def _record_lag(self, message) -> None:
        try:
            _low, high = self.consumer.get_watermark_offsets(TopicPartition(message.topic(), message.partition()), cached=True)
        except KafkaException:
            return
        if high >= 0:
            CONSUMER_LAG.labels(message.topic(), str(message.partition())).set(max(high - message.offset() - 1, 0))

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
