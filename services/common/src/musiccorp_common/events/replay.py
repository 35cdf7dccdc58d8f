"""Dead letters read back and handled again by this service's own handlers (``manage.py replay_dlq``).

A dead letter is the original message, copied to ``<topic>.dlq`` by the consumer group that
could not handle it, with ``x-dlq-*`` headers saying why (events/consumer.py). Replaying it
runs it through the same ``EventConsumer.process`` as the live loop: validation, the handler
in one transaction with the inbox insert, the transient/permanent retry policy. The inbox
(ProcessedEvent) makes that safe to repeat: an event already handled is a duplicate.

Why not re-publish to the original topic: that topic belongs to its producer (ACLs let only
the producer write it), and a re-published event would reach every consumer group of the topic,
not just the one that failed. Replaying in-process needs only Read on ``<topic>.dlq`` with the
service's own credentials. See docs/runbooks/dlq.md and
docs/decisions/0006-transient-and-permanent-failures.md.

The reader assigns the DLQ partitions from their beginning up to the end seen at the start and
commits nothing: every run sees every dead letter still retained, so a filtered run or a
message that fails again is never skipped by a later one, and the inbox drops what was done.
"""

import json
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from confluent_kafka import Consumer, KafkaException, TopicPartition

from musiccorp_common.events.consumer import EventConsumer, dlq_topic
from musiccorp_common.events.kafka_config import consumer_config

DLQ_HEADER_PREFIX = "x-dlq-"


@dataclass
class DeadLetter:
    """One message of a ``<topic>.dlq``, as this service's consumer parked it."""

    message: object  # the confluent_kafka.Message read from the DLQ

    def header(self, name: str) -> str:
        for key, value in self.message.headers() or []:
            if key == name:
                return (value or b"").decode(errors="replace")
        return ""

    @property
    def original_topic(self) -> str:
        return self.header("x-dlq-original-topic")

    @property
    def group(self) -> str:
        return self.header("x-dlq-consumer-group")

    @property
    def error(self) -> str:
        return self.header("x-dlq-error")

    @property
    def time(self) -> datetime:
        return datetime.fromtimestamp(self.message.timestamp()[1] / 1000, tz=UTC)

    @property
    def event_id(self) -> str:
        try:
            return str(json.loads(self.message.value())["event_id"])
        except (ValueError, TypeError, KeyError):
            return ""  # not a valid event: it fails validation again when replayed

    @property
    def where(self) -> str:
        return f"{self.message.topic()}[{self.message.partition()}]@{self.message.offset()}"


class _Redelivery:
    """The dead letter as its original message: original topic, partition and offset, no x-dlq-* headers."""

    def __init__(self, dead: DeadLetter):
        self._dead = dead
        self._headers = [(k, v) for k, v in dead.message.headers() or [] if not k.startswith(DLQ_HEADER_PREFIX)]

    def topic(self):
        return self._dead.original_topic

    def partition(self):
        return int(self._dead.header("x-dlq-original-partition") or -1)

    def offset(self):
        return int(self._dead.header("x-dlq-original-offset") or -1)

    def key(self):
        return self._dead.message.key()

    def value(self):
        return self._dead.message.value()

    def headers(self):
        return self._headers

    def error(self):
        return None


def open_reader(group_id: str) -> Consumer:
    """A consumer of the DLQs with the service's own group id and credentials; it never joins or commits."""
    return Consumer({**consumer_config(group_id), "enable.partition.eof": False})


def read_dead_letters(
    reader: Consumer,
    topics: list[str],
    *,
    group_id: str,
    since: datetime | None = None,
    until: datetime | None = None,
    event_ids: set[str] | None = None,
    timeout: float = 30.0,
) -> list[DeadLetter]:
    """Every retained dead letter of ``topics`` (contract topic names, prefixed) this group parked, filtered."""
    ends = _assign_from_beginning(reader, [dlq_topic(t) for t in topics], timeout)
    found: list[DeadLetter] = []
    unread = dict(ends)
    deadline = time.monotonic() + timeout
    while unread and time.monotonic() < deadline:
        message = reader.poll(0.5)
        if message is None or message.error():
            continue
        key = (message.topic(), message.partition())
        if message.offset() >= ends[key]:
            continue  # parked after this run started: the next run's
        if message.offset() >= ends[key] - 1:
            unread.pop(key, None)
        dead = DeadLetter(message)
        if _selected(dead, group_id, since, until, event_ids):
            found.append(dead)
    if unread:
        raise TimeoutError(f"could not read {', '.join(f'{t}[{p}]' for t, p in unread)} to its end within {timeout:.0f} s")
    return found


def _assign_from_beginning(reader: Consumer, topics: list[str], timeout: float) -> dict[tuple[str, int], int]:
    """Assign every partition of ``topics`` from its start; (topic, partition) -> end offset, for the non-empty ones."""
    ends, assignment = {}, []
    for topic in topics:
        metadata = reader.list_topics(topic, timeout=timeout).topics[topic]
        if metadata.error is not None:
            raise KafkaException(metadata.error)
        for partition in metadata.partitions:
            low, high = reader.get_watermark_offsets(TopicPartition(topic, partition), timeout=timeout)
            if high > low:
                ends[(topic, partition)] = high
                assignment.append(TopicPartition(topic, partition, low))
    reader.assign(assignment)
    return ends


def _selected(dead: DeadLetter, group_id: str, since, until, event_ids) -> bool:
    # <topic>.dlq is shared by the topic's consumer groups: replay only what this one parked.
    if dead.group != group_id:
        return False
    if since is not None and dead.time < since:
        return False
    if until is not None and dead.time > until:
        return False
    return not event_ids or dead.event_id in event_ids


class _ReplayConsumer(EventConsumer):
    """The live loop's process(), except that a message failing again stays where it is (no second DLQ copy)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.errors: dict[int, Exception] = {}

    def _dead_letter(self, message, error: Exception) -> None:
        self.errors[id(message)] = error


@dataclass
class Replayed:
    dead: DeadLetter
    outcome: str  # handled, duplicate or failed
    error: str = ""


def replay(
    dead_letters: list[DeadLetter], *, reader: Consumer, group_id: str, handlers: dict, stop: threading.Event
) -> list[Replayed]:
    """Handle each dead letter again, in DLQ order; stops early (returning what was done) when ``stop`` is set."""
    loop = _ReplayConsumer(group_id=group_id, handlers=handlers, stop=stop, consumer=reader, dlq_producer=_NoProducer())
    results = []
    for dead in dead_letters:
        if stop.is_set():
            break
        message = _Redelivery(dead)
        try:
            outcome = loop.process(message)
        except Exception as exc:  # _Interrupted (stop during a backoff) or a bug: report, do not go on
            results.append(Replayed(dead, "failed", f"{type(exc).__name__}: {exc}"))
            break
        if outcome == "dead_lettered":
            error = loop.errors.get(id(message))
            results.append(Replayed(dead, "failed", f"{type(error).__name__}: {error}"))
        else:
            results.append(Replayed(dead, outcome))
    return results


class _NoProducer:
    """The replay never produces (a message failing again stays in the DLQ); flush() at close is all it gets."""

    def flush(self, timeout=None):
        return 0
