"""The local stack heals itself as Kubernetes would: supervisord (ci/stack/services) restarts a
process that dies, without anyone running a script, and without re-running the preparation
(migrate, collectstatic); `make up` on a partly-down stack starts only what is down.

Real processes of the running stack (`stack` fixture), killed with SIGKILL.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
import requests

pytestmark = pytest.mark.stack

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ROOT / "ci" / "stack" / "services"


def services(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(SERVICES), *args], capture_output=True, text=True, check=False, timeout=120)


def pid_of(program: str) -> int | None:
    proc = services("pid", program)
    return int(proc.stdout) if proc.returncode == 0 else None


def children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True, check=False).stdout
    return [int(p) for p in out.split()]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def ok(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).status_code == 200
    except requests.RequestException:
        return False


def wait_until(predicate, timeout: float, what: str) -> float:
    """Poll until predicate() is true; return the seconds it took."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if predicate():
            return time.monotonic() - start
        time.sleep(0.05)
    pytest.fail(f"timed out after {timeout}s waiting for {what}\n{services('status').stdout}")


def preparations(run_dir: Path, service: str) -> int:
    """How often `up` prepared the service (migrate, collectstatic...): its marker lines in the manage log."""
    log = run_dir / "logs" / f"{service}-manage.log"
    return log.read_text().count(f"prepare {service}:") if log.exists() else 0


def test_sigkilled_gunicorn_master_is_back_and_healthy_without_migrate(stack, run_dir):
    master = pid_of("order")
    workers = children(master)
    prepared = preparations(run_dir, "order")
    os.kill(master, signal.SIGKILL)
    # Healthy again means answered by the new master's workers: the killed master's orphans serve
    # on the inherited socket for a moment before they notice their parent is gone.
    seconds = wait_until(
        lambda: (
            pid_of("order") not in (None, master) and not any(alive(w) for w in workers) and ok("http://127.0.0.1:5003/health")
        ),
        timeout=20,
        what="a new gunicorn master of order to answer /health",
    )
    print(f"order: SIGKILL of the gunicorn master to /health 200 from the new one in {seconds:.1f}s")
    assert preparations(run_dir, "order") == prepared, "the restart re-ran the preparation (migrate, collectstatic)"


def test_sigkilled_consumer_is_back_and_ready(stack):
    consumer = pid_of("inventory-consumer")
    os.kill(consumer, signal.SIGKILL)
    seconds = wait_until(
        lambda: pid_of("inventory-consumer") not in (None, consumer) and ok("http://127.0.0.1:6002/health/ready"),
        timeout=60,
        what="the inventory consumer to be restarted and ready",
    )
    print(f"inventory-consumer: SIGKILL to /health/ready in {seconds:.1f}s")


def test_up_starts_what_is_stopped_and_leaves_the_rest_running(stack, run_dir):
    programs = services("programs").stdout.split()
    assert services("stop", "payment-consumer").returncode == 0
    assert pid_of("payment-consumer") is None
    before = {name: pid_of(name) for name in programs if name != "payment-consumer"}
    prepared = {name: preparations(run_dir, name) for name in ("catalog", "order", "payment")}
    env = {**os.environ, "MUSICCORP_SKIP_BOOTSTRAP": "1"}
    up = subprocess.run([str(ROOT / "ci" / "stack" / "up")], capture_output=True, text=True, env=env, timeout=300)
    assert up.returncode == 0, up.stderr
    assert pid_of("payment-consumer") is not None
    assert ok("http://127.0.0.1:6004/health/ready")
    assert {name: pid_of(name) for name in before} == before, "up restarted programs that were running"
    assert {name: preparations(run_dir, name) for name in prepared} == prepared, "up prepared the services again"


def test_status_names_every_program_and_its_state(stack):
    status = services("status")
    assert status.returncode == 0, status.stdout
    lines = {line.split()[0]: line.split()[1] for line in status.stdout.splitlines() if line.strip()}
    for program in ("catalog", "order", "payment-consumer", "order-pruner", "watchdog"):
        assert lines.get(program) == "RUNNING", status.stdout
