"""CPU time and resident memory of the local stack's processes, read from /proc.

The stack is every process descended from its daemons: the PostgreSQL postmaster, the Kafka
broker, nginx (the gateway) and supervisord (gunicorn masters and workers, consumers, relays,
periodic loops, the watchdog and, unless MUSICCORP_OBSERVABILITY=0, Prometheus, Zipkin and the
OTLP receiver, counted as their own part). Their pids come from the run dir, so another checkout's stack or
the bench client itself is never counted.

CPU of a process that exits during a measured window is not lost: its parent reaps it and the
kernel adds its whole CPU time to the parent's cutime/cstime (PostgreSQL backends of closed
connections, a restarted gunicorn worker). So the stack's CPU at an instant is the sum over its
live processes of utime+stime+cutime+cstime, and the difference of two such sums is what the
stack used in between. (A process orphaned to init takes its time with it; the stack's daemons
reap their children.)
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")

OBSERVABILITY_PART = "trace and metrics backend"

# Each process is put in one part of the stack by its command line (first match wins); what a
# reaped child used stays with its parent's part.
COMPONENTS = [
    # The Go order service (ORDER_IMPL=go|both): its API, consumer, relay and expiry in one process.
    ("order-go", "bin/order-go"),
    ("web workers (gunicorn)", "gunicorn"),
    ("consumers and outbox relays", "manage.py consume"),
    ("consumers and outbox relays", "manage.py relay_outbox"),
    ("periodic commands", "manage.py"),
    ("kafka broker", "kafka.Kafka"),
    ("postgresql", "postgres"),
    ("nginx gateway", "nginx"),
    # Under supervisord unless MUSICCORP_OBSERVABILITY=0: Zipkin's JVM, the OTLP receiver
    # (otlp_zipkin.py) and Prometheus. Kept apart so a run with them can be read without them.
    (OBSERVABILITY_PART, "zipkin"),
    (OBSERVABILITY_PART, "bin/prometheus "),
    ("supervisord and watchdog", "supervisor"),
]


@dataclass(frozen=True)
class ProcStat:
    pid: int
    ppid: int
    ticks: int  # utime + stime + cutime + cstime
    rss_bytes: int


def parse_stat(pid: int, text: str) -> ProcStat:
    """One /proc/<pid>/stat line (proc(5)); the command name may hold spaces and parentheses."""
    fields = text[text.rindex(")") + 2 :].split()
    # fields[0] is field 3 (state): ppid is field 4, utime..cstime 14-17, rss (pages) 24.
    ticks = sum(int(fields[i]) for i in (11, 12, 13, 14))
    return ProcStat(pid=pid, ppid=int(fields[1]), ticks=ticks, rss_bytes=int(fields[21]) * PAGE_SIZE)


def descendants(parents: dict[int, int], roots: set[int]) -> set[int]:
    """The roots that exist in ``parents`` (pid -> ppid) and every process below them."""
    children: dict[int, list[int]] = {}
    for pid, ppid in parents.items():
        children.setdefault(ppid, []).append(pid)
    found, todo = set(), [pid for pid in roots if pid in parents]
    while todo:
        pid = todo.pop()
        if pid not in found:
            found.add(pid)
            todo.extend(children.get(pid, []))
    return found


def component_of(command: str) -> str:
    return next((name for name, needle in COMPONENTS if needle in command), "other")


@dataclass
class Snapshot:
    """The stack at one instant: CPU ticks and RSS by component, and how many processes."""

    at: float
    ticks: dict[str, int] = field(default_factory=dict)
    rss_bytes: int = 0
    processes: int = 0

    @property
    def total_ticks(self) -> int:
        return sum(self.ticks.values())


def summarize(at: float, stats: list[ProcStat], commands: dict[int, str], roots: set[int]) -> Snapshot:
    """Sum the stack's processes (the roots' trees) out of every process's stat and command line."""
    members = descendants({s.pid: s.ppid for s in stats}, roots)
    snapshot = Snapshot(at=at)
    for stat in stats:
        if stat.pid in members:
            part = component_of(commands.get(stat.pid, ""))
            snapshot.ticks[part] = snapshot.ticks.get(part, 0) + stat.ticks
            snapshot.rss_bytes += stat.rss_bytes
            snapshot.processes += 1
    return snapshot


def cpu_seconds(before: Snapshot, after: Snapshot) -> dict[str, float]:
    """CPU seconds each part of the stack used between two snapshots, largest first."""
    parts = set(before.ticks) | set(after.ticks)
    used = {part: (after.ticks.get(part, 0) - before.ticks.get(part, 0)) / CLOCK_TICKS for part in parts}
    return dict(sorted(used.items(), key=lambda item: -item[1]))


def stack_roots(run_dir: Path) -> set[int]:
    """The pids of the stack's daemons, from the files the stack's scripts keep in the run dir."""
    files = [
        run_dir / "postgres" / "data" / "postmaster.pid",  # first line: the postmaster
        run_dir / "pids" / "kafka.pid",
        run_dir / "pids" / "gateway.pid",
        run_dir / "supervisor" / "supervisord.pid",
    ]
    roots = set()
    for path in files:
        try:
            roots.add(int(path.read_text().split()[0]))
        except (OSError, ValueError, IndexError):
            continue
    return roots


def read_processes() -> tuple[list[ProcStat], dict[int, str]]:
    """Every process's stat and command line (a process gone meanwhile is skipped)."""
    stats, commands = [], {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = parse_stat(int(entry), Path(f"/proc/{entry}/stat").read_text())
            command = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except (OSError, ValueError, IndexError):
            continue
        stats.append(stat)
        commands[stat.pid] = command
    return stats, commands


def snapshot(roots: set[int]) -> Snapshot:
    stats, commands = read_processes()
    return summarize(time.monotonic(), stats, commands, roots)


class RssSampler:
    """Samples the stack's summed RSS every ``interval`` seconds in a thread; keeps peak and last."""

    def __init__(self, roots: set[int], interval: float = 0.5):
        self.roots, self.interval = roots, interval
        self.peak_bytes = self.last_bytes = self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            rss = snapshot(self.roots).rss_bytes
            self.peak_bytes, self.last_bytes = max(self.peak_bytes, rss), rss
            self.samples += 1
            self._stop.wait(self.interval)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self._stop.set()
        self._thread.join(timeout=10)


def process_environ(pid: int) -> dict[str, str]:
    """A process's environment as it was started (/proc/<pid>/environ); empty when unreadable."""
    try:
        raw = Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:
        return {}
    return dict(item.split("=", 1) for item in raw.decode(errors="replace").split("\0") if "=" in item)


def observability(roots: set[int]) -> dict:
    """What of tracing runs in the stack now, read from its processes, not from what was asked for.

    ``traces_exporters``: the OTEL_TRACES_EXPORTER values of the web and consumer processes (``none``
    when unset: the services then load no tracing SDK); ``backend_processes``: how many processes of
    the trace and metrics backend (Prometheus, Zipkin, the OTLP receiver) run under the stack.
    """
    stats, commands = read_processes()
    members = descendants({s.pid: s.ppid for s in stats}, roots)
    exporters, backend = set(), 0
    for pid in members:
        part = component_of(commands.get(pid, ""))
        if part == OBSERVABILITY_PART:
            backend += 1
        elif part in ("web workers (gunicorn)", "consumers and outbox relays"):
            exporters.add(process_environ(pid).get("OTEL_TRACES_EXPORTER") or "none")
    on = backend > 0 or exporters - {"none"}
    return {"on": bool(on), "traces_exporters": sorted(exporters), "backend_processes": backend}
