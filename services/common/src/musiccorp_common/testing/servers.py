"""Where a test run's PostgreSQL and Kafka come from: the switch ``MUSICCORP_TEST_SERVERS``.

``scripts`` (the default)
    The project's scripts (ci/stack/*) run PostgreSQL and Kafka as ordinary processes, and the
    runner (ci/test-services) exports ``DATABASE_URL`` and ``KAFKA_BOOTSTRAP_SERVERS``. Nothing
    happens here.
``containers``
    testcontainers starts a PostgreSQL container and a single-node KRaft Kafka container before
    Django's settings load, and points ``DATABASE_URL`` and ``KAFKA_BOOTSTRAP_SERVERS`` at them;
    they are removed when the run ends. The engine is whatever ``DOCKER_HOST`` names: Docker, or
    podman's Docker-compatible API (ci/podman/test sets that up, see docs/containers.md).

The same tests run either way. Load this module as a pytest plugin, early, so that it runs before
pytest-django imports the settings: ``pytest -p musiccorp_common.testing.servers`` (or in
``PYTEST_ADDOPTS``). Variables (read here, as test machinery, and nowhere else):

- ``MUSICCORP_TEST_SERVERS``: ``scripts`` or ``containers``.
- ``MUSICCORP_POSTGRES_IMAGE``: PostgreSQL image (default ``postgres:15``).
- ``MUSICCORP_KAFKA_IMAGE``: an image configured like apache/kafka (default ``apache/kafka:4.1.1``,
  the ``KAFKA_VERSION`` of ci/versions.env, which the scripts pass explicitly).
- testcontainers' own: ``DOCKER_HOST``, ``TESTCONTAINERS_RYUK_DISABLED``,
  ``TESTCONTAINERS_CONNECTION_MODE``.
"""

from __future__ import annotations

import os
import secrets
import socket
from dataclasses import dataclass, field

import pytest

from musiccorp_common.env import env_str

MODES = ("scripts", "containers")
DEFAULT_POSTGRES_IMAGE = "postgres:15"
DEFAULT_KAFKA_IMAGE = "apache/kafka:4.1.1"
# The tests connect as this superuser so pytest-django can create test_<name> databases.
POSTGRES_USER = "musiccorp_admin"
POSTGRES_DB = "musiccorp_test"
STARTUP_TIMEOUT = 120


class TestServersError(RuntimeError):
    """The test servers could not be started (a failure, never a skip: see docs/testing.md)."""

    __test__ = False  # not a test class, despite the name


def servers_mode() -> str:
    mode = env_str("MUSICCORP_TEST_SERVERS", default="scripts")
    if mode not in MODES:
        raise TestServersError(f"MUSICCORP_TEST_SERVERS={mode!r}: expected one of {', '.join(MODES)}")
    return mode


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _postgres_container(image: str):
    from testcontainers.community.postgres import PostgresContainer

    # driver=None: a plain postgresql:// URL, which dj-database-url reads.
    return PostgresContainer(image=image, username=POSTGRES_USER, password=secrets.token_hex(16), dbname=POSTGRES_DB, driver=None)


def _kafka_container(image: str, host_port: int):
    """One KRaft node (broker and controller) configured the apache/kafka way.

    Clients on the host reach the broker on a host port fixed before the start, because the
    broker must advertise the address clients use; the broker's own traffic stays on an
    internal listener, so nothing depends on that address inside the container.
    """
    from testcontainers.core.container import DockerContainer
    from testcontainers.core.wait_strategies import LogMessageWaitStrategy

    return (
        DockerContainer(image)
        .with_bind_ports(9092, host_port)
        .with_envs(
            KAFKA_NODE_ID="1",
            KAFKA_PROCESS_ROLES="broker,controller",
            KAFKA_CONTROLLER_QUORUM_VOTERS="1@localhost:9093",
            KAFKA_LISTENERS="EXTERNAL://:9092,INTERNAL://:9094,CONTROLLER://:9093",
            KAFKA_ADVERTISED_LISTENERS=f"EXTERNAL://127.0.0.1:{host_port},INTERNAL://localhost:9094",
            KAFKA_LISTENER_SECURITY_PROTOCOL_MAP="EXTERNAL:PLAINTEXT,INTERNAL:PLAINTEXT,CONTROLLER:PLAINTEXT",
            KAFKA_INTER_BROKER_LISTENER_NAME="INTERNAL",
            KAFKA_CONTROLLER_LISTENER_NAMES="CONTROLLER",
            KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR="1",
            KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR="1",
            KAFKA_TRANSACTION_STATE_LOG_MIN_ISR="1",
            KAFKA_SHARE_COORDINATOR_STATE_TOPIC_REPLICATION_FACTOR="1",
            KAFKA_SHARE_COORDINATOR_STATE_TOPIC_MIN_ISR="1",
            KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS="0",
            # As in the local stack: topics are created explicitly, a typo fails loudly.
            KAFKA_AUTO_CREATE_TOPICS_ENABLE="false",
            KAFKA_HEAP_OPTS="-Xms256m -Xmx512m",
        )
        .waiting_for(LogMessageWaitStrategy("Kafka Server started").with_startup_timeout(STARTUP_TIMEOUT))
    )


@dataclass
class ContainerServers:
    """PostgreSQL and Kafka in containers, started together and removed together."""

    postgres_image: str
    kafka_image: str
    database_url: str = ""
    kafka_bootstrap: str = ""
    _containers: list = field(default_factory=list)

    def start(self) -> ContainerServers:
        try:
            postgres = _postgres_container(self.postgres_image)
            self._start(postgres)
            self.database_url = postgres.get_connection_url(host="127.0.0.1")
            port = _free_port()
            self._start(_kafka_container(self.kafka_image, port))
            self.kafka_bootstrap = f"127.0.0.1:{port}"
        except Exception as exc:
            self.stop()
            raise TestServersError(f"could not start the test containers: {exc}") from exc
        return self

    def _start(self, container) -> None:
        self._containers.append(container)
        container.start()

    def stop(self) -> None:
        while self._containers:
            container = self._containers.pop()
            try:
                container.stop()
            except Exception as exc:
                # Keep going: removing the other containers matters more than this one failure.
                print(f"warning: could not remove a test container: {exc}")

    def describe(self) -> str:
        return f"test servers: containers (postgres {self.postgres_image}, kafka {self.kafka_image} on {self.kafka_bootstrap})"


def start_container_servers() -> ContainerServers:
    """Start PostgreSQL and Kafka containers from the images the environment names."""
    return ContainerServers(
        postgres_image=env_str("MUSICCORP_POSTGRES_IMAGE", default=DEFAULT_POSTGRES_IMAGE),
        kafka_image=env_str("MUSICCORP_KAFKA_IMAGE", default=DEFAULT_KAFKA_IMAGE),
    ).start()


# -- pytest plugin ---------------------------------------------------------------------------

_STASH_KEY = pytest.StashKey[ContainerServers]()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_load_initial_conftests(early_config, parser, args):
    """Start the containers before pytest-django (a tryfirst hook inside this wrapper) loads settings."""
    if servers_mode() == "containers":
        servers = start_container_servers()
        early_config.stash[_STASH_KEY] = servers
        early_config.add_cleanup(servers.stop)
        # The settings module reads these; the test process is the only reader.
        os.environ["DATABASE_URL"] = servers.database_url
        os.environ["KAFKA_BOOTSTRAP_SERVERS"] = servers.kafka_bootstrap
    return (yield)


def pytest_report_header(config):
    servers = config.stash.get(_STASH_KEY, None)
    return servers.describe() if servers else "test servers: scripts (ci/stack)"
