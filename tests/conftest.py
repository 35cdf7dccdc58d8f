"""Fixtures of the repository-level suites: make sure the local stack's components are up.

A fixture starts a component through the same scripts as `make up` (ci/stack/*) when it is not
running, and stops at the end of the session only what it started itself, so a stack a developer
started with `make up` stays up. Set MUSICCORP_KEEP_STACK=1 to leave everything running.
A component that cannot be started makes its tests fail (error), never skip.

The end-to-end suites can be pointed at another deployment of the shop instead (the umbrella on a
real node, tests/pods): MUSICCORP_E2E_GATEWAY_URL is then the gateway (`stack` starts nothing) and
MUSICCORP_E2E_SECRETS a KEY=VALUE file with that deployment's admin login
(DJANGO_SUPERUSER_USERNAME, DJANGO_SUPERUSER_PASSWORD).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
STACK = ROOT / "ci" / "stack"
RUN_DIR = Path(os.environ.get("MUSICCORP_RUN_DIR", ROOT / ".run"))
GATEWAY_URL = "http://localhost:8080"
# Another deployment's gateway and admin login (see above); unset: the local stack.
E2E_GATEWAY_URL = os.environ.get("MUSICCORP_E2E_GATEWAY_URL", "")
E2E_SECRETS = os.environ.get("MUSICCORP_E2E_SECRETS", "")

# The stack's scripts and the load scripts' modules (ci/stack_client.py, ci/chaos_checks.py,
# ci/bench_report.py), importable by every repository-level suite.
sys.path.insert(0, str(STACK))
sys.path.insert(0, str(ROOT / "ci"))


def run_stack_script(*args: str, timeout: int = 600) -> subprocess.CompletedProcess[str]:
    """Run ci/stack/<args>; fail the test with the script's output when it fails."""
    proc = subprocess.run(
        [str(STACK / args[0]), *args[1:]], cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False
    )
    if proc.returncode != 0:
        pytest.fail(f"ci/stack/{' '.join(args)} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}", pytrace=False)
    return proc


def _is_up(component: str) -> bool:
    proc = subprocess.run([str(STACK / component), "status"], cwd=ROOT, capture_output=True, check=False, timeout=60)
    return proc.returncode == 0


def read_secrets() -> dict[str, str]:
    """The generated secrets of the run dir (written by ci/stack/secrets), or MUSICCORP_E2E_SECRETS."""
    path = Path(E2E_SECRETS) if E2E_SECRETS else RUN_DIR / "secrets.env"
    pairs = (line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)
    return {key: value for key, value in pairs}


@dataclass(frozen=True)
class Postgres:
    """How to reach the local stack's PostgreSQL and its service users."""

    host: str
    port: int
    secrets: dict[str, str]

    def conninfo(self, user: str, password: str, dbname: str) -> str:
        return f"host={self.host} port={self.port} user={user} password={password} dbname={dbname} connect_timeout=5"

    def superuser(self, dbname: str = "postgres") -> str:
        return self.conninfo(self.secrets["PG_SUPERUSER"], self.secrets["PG_SUPERUSER_PASSWORD"], dbname)

    def service(self, service: str, dbname: str | None = None) -> str:
        return self.conninfo(
            f"musiccorp_{service}", self.secrets[f"DB_PASSWORD_{service.upper()}"], dbname or f"musiccorp_{service}"
        )


class _StartedComponents:
    """What this session started, to stop exactly that (in reverse order) at the end."""

    def __init__(self) -> None:
        self.started: list[str] = []

    def ensure(self, *components: str) -> None:
        for component in components:
            if not _is_up(component):
                run_stack_script(component, "up")
                self.started.append(component)
            elif component in ("postgres", "kafka", "gateway"):
                # Running already: `up` is idempotent and brings databases, topics, routes up to date.
                run_stack_script(component, "up")

    def stop_started(self) -> None:
        if os.environ.get("MUSICCORP_KEEP_STACK") == "1":
            return
        for component in reversed(self.started):
            subprocess.run([str(STACK / component), "down"], cwd=ROOT, check=False, timeout=120)


@pytest.fixture(scope="session")
def stack_components() -> Iterator[_StartedComponents]:
    started = _StartedComponents()
    if E2E_GATEWAY_URL:
        # Another deployment: nothing of the local stack is started or needed.
        yield started
        return
    run_stack_script("secrets")
    yield started
    started.stop_started()


@pytest.fixture(scope="session")
def stack_secrets(stack_components: _StartedComponents) -> dict[str, str]:
    """The run dir's generated secrets (database passwords, admin login)."""
    return read_secrets()


@pytest.fixture(scope="session")
def kafka_admin(stack_secrets: dict[str, str]) -> dict[str, str]:
    """librdkafka settings of the local broker's super user (ci/stack/kafka): test clients that
    read any topic or forge a message need it; the services' own users may not."""
    return {
        "security.protocol": "SASL_PLAINTEXT",
        "sasl.mechanism": "SCRAM-SHA-512",
        "sasl.username": stack_secrets["KAFKA_ADMIN_USERNAME"],
        "sasl.password": stack_secrets["KAFKA_ADMIN_PASSWORD"],
    }


@pytest.fixture(scope="session")
def postgres(stack_components: _StartedComponents) -> Postgres:
    """The local PostgreSQL, started via ci/stack/postgres when not running."""
    stack_components.ensure("postgres")
    return Postgres(host="127.0.0.1", port=55432, secrets=read_secrets())


@pytest.fixture(scope="session")
def stack(stack_components: _StartedComponents) -> str:
    """The whole local stack (what `make up` starts); returns the gateway's URL. With
    MUSICCORP_E2E_GATEWAY_URL set: that gateway, nothing started."""
    if E2E_GATEWAY_URL:
        return E2E_GATEWAY_URL.rstrip("/")
    stack_components.ensure("postgres", "kafka", "services", "gateway")
    return GATEWAY_URL


@pytest.fixture(scope="session")
def run_dir() -> Path:
    """The local stack's state directory (pids, logs, secrets)."""
    return RUN_DIR


@pytest.fixture(scope="session")
def stack_script():
    """Run a ci/stack script (``stack_script("services", "up")``); fails the test when it fails."""
    return run_stack_script
