"""How the chaos campaign finds, stops and starts the local stack's processes: one adapter.

Programs are named as the stack's process supervisor names them: ``order`` (the gunicorn
master of a web service), ``order-consumer``, ``order-relay``, ``kafka``. The stack's interface
is ``ci/stack/services pid|stop|start NAME``. Until the stack has it, the adapter falls back to
what the scripts do today: the pid files in $RUN_DIR/pids and ``ci/stack/services up`` (or
``ci/stack/kafka up``), which starts whatever is down. Today the outbox relay is a thread of the
consumer process (``manage.py consume``), so ``<svc>-relay`` falls back to the consumer's pid.

Who restarts a killed program: under a supervisor the stack does, with backoff, as Kubernetes
would, and the campaign must NOT (it would hide a supervisor that does not). Without one nothing
does, and the campaign restarts what it killed after DOWN_SECONDS, playing the supervisor.
``STACK_RESTARTS_PROGRAMS`` says which: detected from the ``pid`` command of ci/stack/services,
forced with CHAOS_STACK_RESTARTS=1 or 0.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STACK = ROOT / "ci" / "stack"
RUN_DIR = Path(os.environ.get("RUN_DIR") or os.environ.get("MUSICCORP_RUN_DIR") or ROOT / ".run")
# How long a killed program stays down before the campaign starts it again (when it has to).
DOWN_SECONDS = 3.0


def _services(*args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(STACK / "services"), *args], capture_output=True, text=True, timeout=timeout, check=False)


def _has_program_interface() -> bool:
    """True when ci/stack/services knows ``pid NAME`` (the supervised stack)."""
    proc = _services("pid", "catalog", timeout=30)  # a program of every ORDER_IMPL setting
    return proc.returncode == 0 and proc.stdout.strip().isdigit()


def _restarts_setting() -> bool:
    forced = os.environ.get("CHAOS_STACK_RESTARTS", "")
    return forced == "1" if forced in ("0", "1") else _has_program_interface()


# True: the stack restarts a killed program itself and the campaign only waits for it.
STACK_RESTARTS_PROGRAMS = _restarts_setting()


def _fallback_pid_name(name: str) -> str:
    # The relay runs inside `manage.py consume` until the service has its own relay command.
    return name.removesuffix("-relay") + "-consumer" if name.endswith("-relay") else name


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie (killed, not reaped yet by its parent) counts as dead.
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def pid(name: str) -> int | None:
    """The live pid of program ``name``, or None when it is not running."""
    for program in dict.fromkeys((name, _fallback_pid_name(name))):
        proc = _services("pid", program, timeout=30)
        if proc.returncode == 0 and proc.stdout.strip().isdigit():
            return int(proc.stdout.strip())
    file = RUN_DIR / "pids" / f"{_fallback_pid_name(name)}.pid"
    try:
        found = int(file.read_text().strip())
    except (OSError, ValueError):
        return None
    return found if _alive(found) else None


def _gone(process_id: int) -> bool:
    try:
        os.kill(process_id, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def wait_dead(process_id: int, timeout: float = 30) -> bool:
    """Wait until the process is gone; True when it is (or, after the timeout, at least a zombie).

    Gone, not only dead: the scripts' pid check (kill -0) takes a zombie for a live process, and
    a killed JVM stays a zombie for a few seconds until the init process reaps it.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _gone(process_id):
            return True
        time.sleep(0.1)
    return not _alive(process_id)


def kill(name: str) -> int:
    """SIGKILL program ``name``; returns the pid killed. Raises when it is not running."""
    found = pid(name)
    if found is None:
        raise RuntimeError(f"{name} is not running")
    os.kill(found, signal.SIGKILL)
    wait_dead(found)
    return found


def stop(name: str) -> None:
    """Stop program ``name`` cleanly (SIGTERM, as a rollout would) and wait until it is gone."""
    proc = _services("stop", name)
    if proc.returncode == 0:
        return
    found = pid(name)
    if found is not None:
        os.kill(found, signal.SIGTERM)
        if not wait_dead(found, timeout=30):
            os.kill(found, signal.SIGKILL)
            wait_dead(found)


def start(name: str) -> None:
    """Start program ``name`` (and, in the fallback, whatever else of the stack is down)."""
    proc = _services("start", name)
    if proc.returncode == 0:
        return
    script = ["kafka", "up"] if name == "kafka" else ["services", "up"]
    proc = subprocess.run([str(STACK / script[0]), script[1]], capture_output=True, text=True, timeout=300, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"could not start {name}: {proc.stderr[-2000:]}")


def after_kill(name: str) -> None:
    """What follows a SIGKILL: the stack's supervisor restarts the program, or the campaign does."""
    if STACK_RESTARTS_PROGRAMS:
        return
    time.sleep(DOWN_SECONDS)
    start(name)


def wait_running(name: str, timeout: float = 120) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pid(name) is not None:
            return True
        time.sleep(0.5)
    return False


def children(process_id: int) -> list[int]:
    """Child pids of a process (gunicorn's workers are its master's children)."""
    out = subprocess.run(["pgrep", "-P", str(process_id)], capture_output=True, text=True, check=False).stdout
    return [int(p) for p in out.split()]


def _socket_inodes(process_id: int) -> set[str]:
    inodes = set()
    try:
        for fd in Path(f"/proc/{process_id}/fd").iterdir():
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    except OSError:
        pass
    return inodes


def established_remote_ports(process_id: int) -> set[int]:
    """Remote ports of the process's established TCP connections (from /proc/net/tcp{,6})."""
    inodes = _socket_inodes(process_id)
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            rows = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            fields = row.split()
            if fields[3] == "01" and fields[9] in inodes:  # 01: ESTABLISHED
                ports.add(int(fields[2].rsplit(":", 1)[1], 16))
    return ports
