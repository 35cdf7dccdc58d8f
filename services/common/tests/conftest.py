"""Fixtures of musiccorp_common's own tests: a real broker with per-test topics, relay processes."""

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings

from musiccorp_common.testing.kafka import create_topics, delete_topics, wait_for_broker


@pytest.fixture
def kafka_topics(settings):
    """A fresh topic prefix with every contract topic and DLQ created on the real broker."""
    from musiccorp_common.events import TOPICS

    prefix = f"test-{uuid.uuid4().hex[:8]}."
    settings.EVENTS_TOPIC_PREFIX = prefix
    bootstrap = settings.KAFKA_BOOTSTRAP_SERVERS
    wait_for_broker(bootstrap)
    names = [f"{prefix}{topic}" for topic in TOPICS] + [f"{prefix}{topic}.dlq" for topic in TOPICS]
    create_topics(bootstrap, names)
    yield prefix
    delete_topics(bootstrap, names)


@pytest.fixture
def bootstrap():
    return settings.KAFKA_BOOTSTRAP_SERVERS


@pytest.fixture
def relay_processes(tmp_path):
    """Starts ``manage.py relay_outbox`` processes on the test database; stops what is left at teardown.

    ``start(**env)`` returns a RelayProcess; keyword arguments override its environment
    (e.g. KAFKA_BOOTSTRAP_SERVERS, EVENTS_RELAY_BATCH_SIZE).
    """
    started: list[RelayProcess] = []

    def start(**env) -> RelayProcess:
        relay = RelayProcess(tmp_path / f"relay-{len(started)}.log", env)
        started.append(relay)
        return relay

    yield start
    for relay in started:
        relay.stop()


class RelayProcess:
    """One relay_outbox process of the test project, its output in a log file."""

    def __init__(self, log_path, env: dict):
        from django.db import connection

        db = connection.settings_dict
        url = f"postgres://{quote(db['USER'])}:{quote(db['PASSWORD'])}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
        environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "DATABASE_URL": url, "LOG_LEVEL": "INFO"}
        environment.update({name: str(value) for name, value in env.items()})
        self.log_path = log_path
        self._log = open(log_path, "wb")  # noqa: SIM115 -- open for the process's lifetime, closed in stop()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "django", "relay_outbox"],
            cwd=Path(__file__).resolve().parent.parent,
            env=environment,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    def log_records(self) -> list[dict]:
        records = []
        for line in self.log_path.read_text().splitlines():
            try:
                records.append(json.loads(line))
            except ValueError:
                records.append({"message": line})
        return records

    def wait_started(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while not any(r.get("message") == "outbox relay started" for r in self.log_records()):
            assert self.process.poll() is None, f"relay exited: {self.log_path.read_text()}"
            assert time.monotonic() < deadline, f"relay did not start: {self.log_path.read_text()}"
            time.sleep(0.1)

    def terminate(self, timeout: float = 30.0) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        self._log.close()
