"""Transient failures (database away, a lock held too long, the broker's patience) against permanent ones.

Every fault is real: the test database refuses connections and its sessions are terminated, a
second connection holds a table lock, the real broker's max.poll.interval.ms runs out.
"""

import json
import logging
import socket
import threading
import time
import urllib.error
import urllib.request
import uuid

import psycopg
import pytest
from confluent_kafka import Consumer, Producer, TopicPartition
from django.db import connection, transaction

from musiccorp_common.events.consumer import EventConsumer
from musiccorp_common.events.health_server import serve_health
from musiccorp_common.events.kafka_config import consumer_config
from musiccorp_common.models import ProcessedEvent
from musiccorp_common.testing.kafka import ScriptedConsumer, client_config, read_all, run_until_stopped
from tests.effects.models import Effect
from tests.test_consumer import cancelled_message, record_effect

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def fast_retries(settings):
    settings.EVENTS_MAX_ATTEMPTS = 2  # a misclassified transient failure is dead-lettered at once
    settings.EVENTS_RETRY_BACKOFF_SECONDS = 0.05
    settings.EVENTS_TRANSIENT_BACKOFF_MAX_SECONDS = 0.4
    settings.EVENTS_HANDLER_LOCK_TIMEOUT_MS = 200


def _admin_connection(dbname: str) -> psycopg.Connection:
    """A connection of the test's own superuser outside Django, to ``dbname``."""
    params = connection.settings_dict
    return psycopg.connect(
        host=params["HOST"], port=params["PORT"], user=params["USER"], password=params["PASSWORD"], dbname=dbname, autocommit=True
    )


class DatabaseOutage:
    """The test database goes away for real: new connections refused, open sessions terminated."""

    def __init__(self):
        self.name = connection.settings_dict["NAME"]
        self.admin = _admin_connection("postgres")

    def start(self) -> None:
        self.admin.execute(f'ALTER DATABASE "{self.name}" ALLOW_CONNECTIONS false')
        self.admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", [self.name]
        )

    def end(self) -> None:
        self.admin.execute(f'ALTER DATABASE "{self.name}" ALLOW_CONNECTIONS true')


class Probe:
    """The consumer's real health server on a free port, asked over HTTP as a kubelet would."""

    def __init__(self, consumer: EventConsumer, *, database_ok=lambda: True, stale_after: float = 60.0):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.server = serve_health(
            "127.0.0.1",
            self.port,
            lambda: consumer.heartbeat,
            database_ok,
            "",
            stale_after=stale_after,
            consumer_ready=lambda: consumer.ready,
        )

    def get(self, path: str) -> tuple[int, dict]:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=5) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read())

    def wait_for_ready_status(self, status: str, timeout: float = 20.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.get("/health/ready")[1]["status"] == status:
                return True
            time.sleep(0.05)
        return False


def scripted_event_consumer(script, handler, bootstrap) -> EventConsumer:
    stop = threading.Event()
    return EventConsumer(
        group_id="test",
        handlers={"order.cancelled": handler},
        stop=stop,
        consumer=ScriptedConsumer(script, stop),
        dlq_producer=Producer(client_config(bootstrap)),
    )


def test_database_outage_is_retried_until_it_ends_never_dead_lettered(kafka_topics, bootstrap, fast_retries, settings):
    settings.KAFKA_BOOTSTRAP_SERVERS = bootstrap
    message, event = cancelled_message(topic_prefix=kafka_topics)
    consumer = scripted_event_consumer([message], record_effect, bootstrap)
    probe = Probe(consumer, stale_after=1.5)
    outage = DatabaseOutage()
    seen = {}

    def operator():
        seen["retrying"] = probe.wait_for_ready_status("retrying")
        time.sleep(2.5)  # longer than stale_after: liveness holds only if the loop keeps turning
        seen["live"] = probe.get("/health/live")[0]
        seen["retrying_later"] = probe.get("/health/ready")[1]["status"]
        outage.end()

    outage.start()
    watcher = threading.Thread(target=operator)
    try:
        watcher.start()
        consumer.run()
    finally:
        watcher.join(30)
        outage.end()
        probe.server.shutdown()

    assert seen == {"retrying": True, "live": 200, "retrying_later": "retrying"}
    assert Effect.objects.filter(order_id=event.data["order_id"]).count() == 1
    assert consumer.ready
    assert probe_after_recovery(consumer) == (200, {"status": "ok"})
    assert consumer.consumer.committed == [(message.topic(), 0, 0)]
    assert read_all(bootstrap, f"{kafka_topics}order.cancelled.dlq", expect=0) == []


def probe_after_recovery(consumer) -> tuple[int, dict]:
    probe = Probe(consumer)
    try:
        return probe.get("/health/ready")
    finally:
        probe.server.shutdown()


class TableLock:
    """Another session holds an exclusive lock on the effects table until released."""

    def __init__(self):
        self.conn = _admin_connection(connection.settings_dict["NAME"])
        self.conn.autocommit = False

    def __enter__(self):
        self.conn.execute(f"LOCK TABLE {Effect._meta.db_table} IN ACCESS EXCLUSIVE MODE")
        return self

    def release(self):
        if not self.conn.closed:
            self.conn.rollback()
            self.conn.close()

    def __exit__(self, *exc):
        self.release()


def test_a_lock_held_elsewhere_trips_lock_timeout_and_is_retried_as_transient(kafka_topics, bootstrap, fast_retries):
    message, event = cancelled_message(topic_prefix=kafka_topics)
    errors = []

    def handler(envelope):
        try:
            record_effect(envelope)
        except Exception as exc:
            errors.append(exc)
            raise

    consumer = scripted_event_consumer([message], handler, bootstrap)
    probe = Probe(consumer)
    seen = {}
    with TableLock() as lock:

        def operator():
            seen["retrying"] = probe.wait_for_ready_status("retrying")
            time.sleep(1.0)
            lock.release()

        watcher = threading.Thread(target=operator)
        watcher.start()
        try:
            consumer.run()
        finally:
            watcher.join(30)
            probe.server.shutdown()

    assert seen["retrying"], "readiness must fail while the handler waits for the lock"
    assert len(errors) >= 2, "each attempt waited lock_timeout (200 ms), not for ever"
    assert isinstance(errors[0].__cause__, psycopg.errors.LockNotAvailable)
    assert Effect.objects.filter(order_id=event.data["order_id"]).count() == 1
    assert ProcessedEvent.objects.filter(event_id=event.event_id).count() == 1
    assert consumer.ready
    assert read_all(bootstrap, f"{kafka_topics}order.cancelled.dlq", expect=0) == []


def test_unknown_order_is_permanent_dead_lettered_after_the_attempts(kafka_topics, bootstrap, fast_retries, settings):
    settings.EVENTS_MAX_ATTEMPTS = 3
    attempts = []

    def handler(envelope):
        attempts.append(1)
        Effect.objects.get(order_id=envelope.data["order_id"])  # an order this service never saw

    message, event = cancelled_message(topic_prefix=kafka_topics)
    consumer = scripted_event_consumer([message], handler, bootstrap)
    consumer.run()
    assert len(attempts) == 3
    assert consumer.ready, "a permanent failure is not an outage: readiness stays"
    dead = read_all(bootstrap, f"{kafka_topics}order.cancelled.dlq", expect=1)
    assert json.loads(dead[0].value())["event_id"] == event.event_id
    assert dict(dead[0].headers())["x-dlq-error"].startswith(b"DoesNotExist")


def test_statement_timeout_bounds_a_handler_and_counts_as_transient(kafka_topics, bootstrap, fast_retries, settings):
    settings.EVENTS_HANDLER_STATEMENT_TIMEOUT_MS = 300
    calls = []

    def handler(envelope):
        calls.append(1)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_sleep(%s)", [5 if len(calls) == 1 else 0])
        record_effect(envelope)

    message, event = cancelled_message(topic_prefix=kafka_topics)
    started = time.monotonic()
    scripted_event_consumer([message], handler, bootstrap).run()
    assert time.monotonic() - started < 4, "the 5 s statement was cancelled after 300 ms"
    assert len(calls) == 2
    assert Effect.objects.filter(order_id=event.data["order_id"]).count() == 1
    assert read_all(bootstrap, f"{kafka_topics}order.cancelled.dlq", expect=0) == []


def test_a_session_killed_between_two_messages_is_replaced_and_its_successor_is_bounded_too(
    kafka_topics, bootstrap, fast_retries, settings, caplog
):
    # The loop checks its connection at most once a second while busy: the second message comes
    # at once, so it meets the dead session, fails transiently and is retried on a new one.
    settings.EVENTS_HANDLER_STATEMENT_TIMEOUT_MS = 4321
    first, first_event = cancelled_message(topic_prefix=kafka_topics, offset=0)
    second, second_event = cancelled_message(topic_prefix=kafka_topics, offset=1)
    admin = _admin_connection("postgres")
    sessions = []

    def handler(envelope):
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid(), current_setting('statement_timeout')")
            sessions.append(cursor.fetchone())
        record_effect(envelope)
        if envelope.event_id == first_event.event_id:
            pid = sessions[-1][0]
            transaction.on_commit(lambda: admin.execute("SELECT pg_terminate_backend(%s)", [pid]))

    consumer = scripted_event_consumer([first, second], handler, bootstrap)
    try:
        consumer.run()
    finally:
        admin.close()

    assert [timeout for _pid, timeout in sessions] == ["4321ms", "4321ms"]
    assert sessions[0][0] != sessions[1][0], "the second message ran on a new session"
    assert "transient failure (1 in a row)" in caplog.text
    assert Effect.objects.filter(order_id__in=[first_event.data["order_id"], second_event.data["order_id"]]).count() == 2
    assert consumer.ready
    assert read_all(bootstrap, f"{kafka_topics}order.cancelled.dlq", expect=0) == []


def test_a_retry_longer_than_max_poll_interval_keeps_the_group_membership(
    kafka_topics, bootstrap, fast_retries, settings, caplog
):
    """The real broker: 9 s of transient failures against max.poll.interval.ms of 6 s."""
    settings.EVENTS_MAX_POLL_INTERVAL_MS = 6000
    group = f"test-long-retry-{uuid.uuid4().hex[:8]}"
    first, first_event = cancelled_message(topic_prefix=kafka_topics)
    second, second_event = cancelled_message(topic_prefix=kafka_topics)
    producer = Producer(client_config(bootstrap))
    for message in (first, second):
        producer.produce(message.topic(), key=message.key(), value=message.value())
    assert producer.flush(10) == 0

    stop = threading.Event()
    handled = []

    def handler(envelope):
        record_effect(envelope)
        handled.append(envelope.event_id)
        if len(handled) == 2:
            stop.set()

    consumer = EventConsumer(group_id=group, handlers={"order.cancelled": handler}, stop=stop, dlq_producer=producer)
    lock = TableLock().__enter__()
    releaser = threading.Timer(9.0, lock.release)
    caplog.set_level(logging.INFO, logger="musiccorp.events.consumer")
    releaser.start()
    try:
        run_until_stopped(consumer, stop, 60.0)
    finally:
        releaser.cancel()
        lock.release()

    assert handled == [first_event.event_id, second_event.event_id], "in order, each once"
    retries = [r for r in caplog.records if r.getMessage().startswith("transient failure")]
    assert len(retries) >= 10
    assert [r.getMessage() for r in caplog.records if "partitions assigned" in r.getMessage()] == [
        f"partitions assigned: {first.topic()}[0]"
    ], "no second join: the consumer never left its group"
    assert not [r for r in caplog.records if "Kafka error" in r.getMessage()]
    reader = Consumer(consumer_config(group))
    try:
        [committed] = reader.committed([TopicPartition(first.topic(), 0)], timeout=10)
    finally:
        reader.close()
    assert committed.offset == 2
