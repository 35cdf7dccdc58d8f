"""A micro-benchmark of one relay_outbox process, not part of the suite (its name is not test_*).

Run under the servers' lock: ``ci/test-services common -- tests/bench_relay.py -s``. Publishes
BENCH_EVENTS one-row transactions (distinct keys) at BENCH_RATE per second while one relay runs,
then prints the relay's CPU per event (/proc), its SQL statements per event (django_prometheus's
counter of that process), the database's commits per event (pg_stat_database, minus the
publisher's), and the publish->sent latency (sent_at - created_at) p50/p99.
"""

import os
import shutil
import statistics
import time
import uuid

import pytest
from django.conf import settings
from django.db import connection, transaction
from prometheus_client import CollectorRegistry, multiprocess

from musiccorp_common.events import publish_event
from musiccorp_common.models import OutboxEvent

EVENTS = int(os.environ.get("BENCH_EVENTS", 2000))
RATE = float(os.environ.get("BENCH_RATE", 200))


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def statements(pid: int, tmp_path) -> float:
    """SQL statements the process executed, from its own multiprocess metric files."""
    source = settings.PROMETHEUS_MULTIPROC_DIR
    target = tmp_path / f"metrics-{pid}-{time.monotonic_ns()}"
    target.mkdir()
    for name in os.listdir(source):
        if name.endswith(f"_{pid}.db"):
            shutil.copy(os.path.join(source, name), target / name)
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=str(target))
    total = 0.0
    for metric in registry.collect():
        if metric.name == "django_db_execute":
            total += sum(s.value for s in metric.samples if s.name.endswith("_total"))
    return total


def commits() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()")
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_relay_cost_per_event(kafka_topics, relay_processes, tmp_path):
    relay = relay_processes(**{name: os.environ[name] for name in os.environ if name.startswith("EVENTS_RELAY_")})
    relay.wait_started()
    time.sleep(2)  # the relay's start-up and first passes are not the cost per event
    pid = relay.process.pid
    cpu0, sql0, commits0 = cpu_seconds(pid), statements(pid, tmp_path), commits()
    started = time.monotonic()
    for n in range(EVENTS):
        key = str(uuid.uuid4())
        with transaction.atomic():
            publish_event("order.cancelled", key, {"order_id": key, "reason": "card_declined"})
        delay = started + (n + 1) / RATE - time.monotonic()
        if delay > 0:
            time.sleep(delay)
    published = time.monotonic() - started
    deadline = time.monotonic() + 60
    while OutboxEvent.objects.filter(sent_at__isnull=True).exists():
        assert time.monotonic() < deadline
        time.sleep(0.05)
    time.sleep(1.5)  # let an idle wait and a metrics refresh pass, as between the bursts of a run
    cpu1, sql1, commits1 = cpu_seconds(pid), statements(pid, tmp_path), commits()
    assert relay.terminate() == 0
    latencies = sorted(
        (sent - created).total_seconds() * 1000 for created, sent in OutboxEvent.objects.values_list("created_at", "sent_at")
    )
    p50 = statistics.median(latencies)
    p99 = latencies[int(len(latencies) * 0.99) - 1]
    # Each publish is one commit; the polling above adds a few.
    senders = len(set(OutboxEvent.objects.values_list("claimed_by", flat=True)))
    print(
        f"\nBENCH events={EVENTS} rate={EVENTS / published:.0f}/s relay_cpu_ms_per_event={(cpu1 - cpu0) * 1000 / EVENTS:.2f}"
        f" relay_sql_per_event={(sql1 - sql0) / EVENTS:.2f}"
        f" db_commits_per_event_minus_publish={(commits1 - commits0 - EVENTS) / EVENTS:.2f}"
        f" latency_ms_p50={p50:.1f} p99={p99:.1f} max={latencies[-1]:.1f}"
        f" senders={senders}"
    )
