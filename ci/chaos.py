"""`make chaos`: the fault-injection campaign against the local stack (docs/reliability.md).

Orders are placed through the gateway without pause (about 80% tok_visa, 20% tok_chargeDeclined,
a few SKUs, one of them nearly sold out so that 409s happen) while the faults are injected one
after the other. After each fault the load stops, the campaign waits for the saga to become
quiescent (bounded) and checks the invariants (ci/chaos_checks.py); it prints a table per fault
and writes it to $RUN_DIR/chaos/report.md. Exit status 1 on any violation, on a fault the stack
did not recover from by itself, or on a 5xx a fault does not allow (503 during a database
outage; 502 for the request a killed gunicorn worker had in hand).

Environment (all optional): CHAOS_ORDERS (total orders, default 1100), CHAOS_FAULTS (comma
separated fault ids, default all: see FAULTS), CHAOS_CONCURRENCY (default 6),
CHAOS_RECOVER_TIMEOUT (seconds a fault may take to recover, default 120), CHAOS_SETTLE_SECONDS
(nothing moved this long: quiescent, default 15), CHAOS_SEED. Processes are found, stopped and
started through ci/chaos_programs.py, the one place that knows how the stack runs them.

ORDER_IMPL (the stack's setting, `make chaos ORDER_IMPL=go|both`): with go the Django order
programs do not run, so their faults (order-consumer, order-relay, order-worker) are replaced by
the fault order-go: SIGKILL of the one order-go process (API, consumer, relay and expiry at once)
while it has a reservation call to inventory in flight. With both every fault runs, order-go's
too, and the load places its orders through /api/orders/ and /api/order-go/ in turn.
"""

from __future__ import annotations

import json
import math
import os
import random
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import chaos_programs as programs
import requests
from chaos_checks import CATEGORIES, Checker, EarlierViolations, Snapshot
from stack_client import new_album, place_order, read_secrets, staff_auth

RUN_DIR = programs.RUN_DIR
STACK = programs.STACK
DECLINE_SHARE = 0.2
SCARCE_UNITS = 12  # the nearly sold-out SKU: gone after a few dozen orders, then 409s
PLENTY_UNITS = 5000
LEAD_SECONDS = 4.0  # load before the fault
TAIL_SECONDS = 8.0  # load after the fault cleared
CHECK_EVERY = 1.0
WORKER_KILLS = 2  # gunicorn workers killed in the worker fault, one at a time
ORDER_IMPL = os.environ.get("ORDER_IMPL") or "python"
if ORDER_IMPL not in ("python", "go", "both"):
    raise SystemExit(f"ORDER_IMPL={ORDER_IMPL!r} is not one of python, go, both")
DJANGO_ORDER = ORDER_IMPL != "go"
ORDER_GO = ORDER_IMPL != "python"
# The routes the load places orders through (in turn, with both).
ORDER_ROUTES = {"python": ("/api/orders",), "go": ("/api/orders",), "both": ("/api/orders", "/api/order-go")}[ORDER_IMPL]
# Every program that must be running when a fault has recovered.
CONSUMING = ("inventory", *(("order",) if DJANGO_ORDER else ()), "payment", "shipping")
PROGRAMS = (
    "catalog",
    "inventory",
    *(("order",) if DJANGO_ORDER else ()),
    *(("order-go",) if ORDER_GO else ()),
    "payment",
    "shipping",
    *(f"{s}-consumer" for s in CONSUMING),
)


def log(message: str) -> None:
    print(f"[chaos {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# -- the load -------------------------------------------------------------------------------


@dataclass
class PhaseLoad:
    codes: Counter = field(default_factory=Counter)
    accepted: set[str] = field(default_factory=set)


class Load:
    """Worker threads placing orders at a paced rate into whichever phase is current."""

    def __init__(self, skus: list[str], scarce: str, email: str, concurrency: int, seed: int):
        self.skus, self.scarce, self.email = skus, scarce, email
        self.phase: PhaseLoad | None = None
        self.rate = 1.0
        self.accepted: set[str] = set()
        self.lock = threading.Lock()
        self.next_slot = 0.0
        self.in_flight = 0
        self.closed = False
        self.threads = [threading.Thread(target=self._work, args=(seed + i,), daemon=True) for i in range(concurrency)]
        for thread in self.threads:
            thread.start()

    def begin(self, phase: PhaseLoad, rate: float) -> None:
        with self.lock:
            self.phase, self.rate, self.next_slot = phase, rate, time.monotonic()

    def end(self) -> None:
        """Stop placing and wait until every request in flight was answered."""
        with self.lock:
            self.phase = None
        while self.in_flight:
            time.sleep(0.05)

    def close(self) -> None:
        self.end()
        self.closed = True

    def _pick(self, rng: random.Random) -> tuple[str, str, int]:
        sku = self.scarce if rng.random() < 0.1 else rng.choice(self.skus)
        token = "tok_chargeDeclined" if rng.random() < DECLINE_SHARE else "tok_visa"
        return sku, token, 2 if rng.random() < 0.1 else 1

    def _work(self, seed: int) -> None:
        rng, session = random.Random(seed), requests.Session()  # noqa: S311 -- a load mix, not a secret
        while not self.closed:
            with self.lock:
                phase = self.phase
                if phase is not None:
                    slot = max(self.next_slot, time.monotonic())
                    self.next_slot = slot + 1 / self.rate
                    self.in_flight += 1
            if phase is None:
                time.sleep(0.05)
                continue
            try:
                time.sleep(max(0.0, slot - time.monotonic()))
                if self.phase is not phase:
                    continue
                sku, token, quantity = self._pick(rng)
                route = ORDER_ROUTES[rng.randrange(len(ORDER_ROUTES))]
                status, order_id, _error = place_order(session, sku, self.email, token, quantity, route=route)
                phase.codes[status or "ERR"] += 1
                if order_id:
                    phase.accepted.add(order_id)
                    self.accepted.add(order_id)
            finally:
                with self.lock:
                    self.in_flight -= 1


# -- the faults ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fault:
    id: str
    title: str
    inject: Callable[[], str]  # injects and clears the fault; returns what it did, for the report
    seconds: float = 0.0  # about how long the fault lasts (the load is spread over lead + this + tail)
    # 5xx answers the fault may cause: status -> how many (None: any number).
    allowed_5xx: tuple[tuple[int, int | None], ...] = ()


def kill_program(name: str) -> Callable[[], str]:
    def inject() -> str:
        killed = programs.kill(name)
        programs.after_kill(name)
        programs.wait_running(name)
        if programs.STACK_RESTARTS_PROGRAMS:
            return f"SIGKILL pid {killed}"
        return f"SIGKILL pid {killed}; restarted by the campaign after {programs.DOWN_SECONDS:.0f}s"

    return inject


def kill_busy_worker(service: str = "order", kills: int = WORKER_KILLS) -> Callable[[], str]:
    """SIGKILL gunicorn workers of ``service`` while they talk to inventory (a reservation in flight)."""

    def busy_worker() -> int | None:
        master = programs.pid(service)
        workers = programs.children(master) if master else []
        # The reservation call (to inventory, :5002) is the window in which a killed worker leaks.
        for wanted in (5002, None):
            for worker in workers:
                remote = programs.established_remote_ports(worker)
                if (wanted in remote) if wanted else (remote - {55432}):
                    return worker
        return None

    def inject() -> str:
        done = []
        for _ in range(kills):
            deadline, worker = time.monotonic() + 5, None
            while worker is None and time.monotonic() < deadline:
                worker = busy_worker()
            if worker is None:
                continue
            os.kill(worker, 9)
            programs.wait_dead(worker, timeout=5)
            done.append(str(worker))
            time.sleep(1.5)
        # gunicorn's master forks a replacement worker itself.
        return f"SIGKILL of busy worker(s) {', '.join(done) or 'none found'}"

    return inject


def kill_order_go_mid_request() -> str:
    """SIGKILL order-go while it talks to inventory (a reservation in flight), or after 5 s anyway."""
    process = programs.pid("order-go")
    if process is None:
        raise RuntimeError("order-go is not running")
    deadline = time.monotonic() + 5
    while 5002 not in programs.established_remote_ports(process) and time.monotonic() < deadline:
        time.sleep(0.01)
    busy = 5002 in programs.established_remote_ports(process)
    os.kill(process, 9)
    programs.wait_dead(process, timeout=5)
    programs.after_kill("order-go")
    programs.wait_running("order-go")
    return f"SIGKILL pid {process} ({'a reservation in flight' if busy else 'no reservation seen in flight within 5 s'})"


def kill_kafka() -> str:
    killed = programs.kill("kafka")
    started = time.monotonic()
    # The broker is not one of the supervised programs (in a cluster its operator restarts it):
    # the campaign starts it again in either mode. ci/stack/kafka up waits for its metadata.
    programs.start("kafka")
    return f"kill -9 pid {killed}; broker back after {time.monotonic() - started:.0f}s"


def _pg_ctl(*args: str) -> None:
    state = (RUN_DIR / "postgres").resolve()
    as_postgres = ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "--"] if os.getuid() == 0 else []
    subprocess.run(
        [*as_postgres, f"{os.environ['PG_BIN']}/pg_ctl", "-D", str(state / "data"), *args],
        cwd=state,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        timeout=120,
        check=True,
    )


def _pg_up() -> None:
    subprocess.run([str(STACK / "postgres"), "up"], capture_output=True, timeout=120, check=True)


def restart_postgres() -> str:
    _pg_ctl("stop", "-m", "immediate", "-w")
    _pg_up()
    return "pg_ctl stop -m immediate, then start"


def stop_postgres_with_backlog(seconds: float = 15) -> Callable[[], str]:
    def inject() -> str:
        # A backlog first: payment's consumer stopped while orders keep coming, then started again
        # just before the database goes away, so it is working through order.placed when it does.
        programs.stop("payment-consumer")
        time.sleep(6)
        programs.start("payment-consumer")
        _pg_ctl("stop", "-m", "fast", "-w")
        time.sleep(seconds)
        _pg_up()
        return f"payment-consumer stopped 6s (backlog), started; PostgreSQL stopped {seconds:.0f}s"

    return inject


def stop_payment(seconds: float = 30) -> Callable[[], str]:
    def inject() -> str:
        programs.stop("payment")
        programs.stop("payment-consumer")
        time.sleep(seconds)
        programs.start("payment")
        programs.start("payment-consumer")
        return f"payment web and consumer stopped {seconds:.0f}s"

    return inject


FAULTS = [
    *(Fault(f"{s}-consumer", f"SIGKILL {s}-consumer", kill_program(f"{s}-consumer"), seconds=8) for s in CONSUMING),
    *(
        (
            Fault("order-relay", "SIGKILL order's outbox relay", kill_program("order-relay"), seconds=8),
            Fault(
                "order-worker",
                "SIGKILL order gunicorn worker mid-request",
                kill_busy_worker(),
                allowed_5xx=((502, WORKER_KILLS),),
            ),
        )
        if DJANGO_ORDER
        else ()
    ),
    # One process: until supervisord has it back (about a second) the gateway answers 502 for its
    # routes (/api/orders/ with go alone); with both only /api/order-go/ is down meanwhile.
    *(
        (Fault("order-go", "SIGKILL order-go mid-request", kill_order_go_mid_request, seconds=8, allowed_5xx=((502, None),)),)
        if ORDER_GO
        else ()
    ),
    Fault("kafka", "Kafka kill -9 + restart", kill_kafka, seconds=15),
    Fault("postgres-restart", "PostgreSQL restart -m immediate", restart_postgres, seconds=3, allowed_5xx=((503, None),)),
    Fault(
        "postgres-stop",
        "PostgreSQL stopped 15 s, payment backlog",
        stop_postgres_with_backlog(),
        seconds=25,
        allowed_5xx=((503, None),),
    ),
    Fault("payment-stop", "payment (web + consumer) stopped 30 s", stop_payment(), seconds=30),
]


# -- the campaign ----------------------------------------------------------------------------


@dataclass
class Result:
    fault: Fault
    action: str = ""
    load: PhaseLoad = field(default_factory=PhaseLoad)
    recover_seconds: float | None = None
    new: dict[str, set[str]] = field(default_factory=dict)
    motion: dict[str, int] = field(default_factory=dict)
    error: str = ""

    @property
    def five_xx(self) -> Counter:
        return Counter({c: n for c, n in self.load.codes.items() if isinstance(c, int) and c >= 500})

    @property
    def bad_5xx(self) -> Counter:
        allowed = dict(self.fault.allowed_5xx)
        bad = Counter()
        for code, n in self.five_xx.items():
            limit = allowed.get(code, 0)
            if limit is not None and n > limit:
                bad[code] = n - limit
        return bad

    @property
    def ok(self) -> bool:
        return self.recover_seconds is not None and not any(self.new.values()) and not self.bad_5xx


class Campaign:
    def __init__(self, total_orders: int, fault_ids: list[str], concurrency: int, seed: int):
        self.faults = [f for f in FAULTS if f.id in fault_ids]
        self.quota = math.ceil(total_orders / len(self.faults))
        self.recover_timeout = float(os.environ.get("CHAOS_RECOVER_TIMEOUT", 120))
        self.settle = float(os.environ.get("CHAOS_SETTLE_SECONDS", 15))
        secrets = read_secrets()
        session, staff = requests.Session(), staff_auth(secrets)
        self.stock = {new_album(session, staff, PLENTY_UNITS, prefix="CHAOS"): PLENTY_UNITS for _ in range(3)}
        scarce = new_album(session, staff, SCARCE_UNITS, prefix="CHAOS")
        self.stock[scarce] = SCARCE_UNITS
        self.email = f"chaos-{uuid.uuid4().hex[:8]}@example.com"
        self.checker = Checker(secrets, self.email, self.stock)
        self.checker.remember_dlq()
        self.load = Load([s for s in self.stock if s != scarce], scarce, self.email, concurrency, seed)
        self.earlier = EarlierViolations()
        log(
            f"customer {self.email}, SKUs {', '.join(f'{s}={n}' for s, n in self.stock.items())}; restarts by "
            + ("the stack's supervisor" if programs.STACK_RESTARTS_PROGRAMS else "the campaign (no supervisor)")
        )

    def snapshot(self) -> Snapshot:
        down = [name for name in PROGRAMS if programs.pid(name) is None]
        return self.checker.snapshot(self.load.accepted, down)

    def run_fault(self, fault: Fault) -> Result:
        result = Result(fault)
        rate = self.quota / (LEAD_SECONDS + fault.seconds + TAIL_SECONDS)
        log(f"{fault.title}: {self.quota} orders at {rate:.1f}/s")
        self.load.begin(result.load, rate)
        time.sleep(LEAD_SECONDS)
        try:
            result.action = fault.inject()
        except Exception as exc:  # the fault could not be injected or cleared: a failure, not a crash
            result.action = f"injection failed: {type(exc).__name__}: {exc}"
            log(result.action)
        # Keep going until the phase's quota is placed (bounded: the load may be failing).
        time.sleep(TAIL_SECONDS)
        limit = time.monotonic() + 30
        while len(result.load.accepted) < self.quota and time.monotonic() < limit:
            time.sleep(0.2)
        self.load.end()
        log(f"  {result.action}; load stopped ({dict(result.load.codes)}); waiting for quiescence")
        self._wait_recovered(result, time.monotonic())
        return result

    def _wait_recovered(self, result: Result, load_stopped: float) -> None:
        deadline = load_stopped + self.recover_timeout
        last, still_since = None, time.monotonic()
        while True:
            snap = self.snapshot()
            new = self.earlier.new_in(snap)
            now = time.monotonic()
            if not snap.moving and not any(new.values()):
                result.recover_seconds = round(now - load_stopped, 1)
                break
            if snap.fingerprint() != last or snap.moving:
                last, still_since = snap.fingerprint(), now
            if now - still_since >= self.settle or now >= deadline:
                break  # quiescent with violations, or out of time
            time.sleep(CHECK_EVERY)
        result.new, result.motion, result.error = new, {k: v for k, v in snap.motion.items() if v}, snap.error
        self.earlier.remember(snap)
        verdict = f"recovered in {result.recover_seconds}s" if result.recover_seconds is not None else "NOT recovered"
        log(
            f"  {verdict}; new violations: {({c: len(v) for c, v in new.items() if v}) or 'none'}"
            + (f"; still moving: {result.motion}" if result.motion else "")
            + (f"; {snap.error}" if snap.error else "")
        )

    def run(self) -> list[Result]:
        results = []
        try:
            for fault in self.faults:
                results.append(self.run_fault(fault))
        finally:
            self.load.close()
            self.checker.close()
        return results


# -- the report ------------------------------------------------------------------------------


def _codes(load: PhaseLoad) -> str:
    return " ".join(f"{code}:{n}" for code, n in sorted(load.codes.items(), key=lambda kv: str(kv[0])))


def report(results: list[Result], started: float, mode: str) -> str:
    header = ["fault", "orders (201)", "responses", "5xx", "recover s", "stuck", "lost", "duplicated", "leaked", "other", "ok"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for r in results:
        five = ", ".join(f"{n}x{c}" for c, n in sorted(r.five_xx.items())) or "0"
        other = len(r.new["inconsistent"]) + sum(r.motion.values()) + (1 if r.error else 0)
        cells = [
            r.fault.title,
            str(len(r.load.accepted)),
            _codes(r.load),
            five,
            "-" if r.recover_seconds is None else f"{r.recover_seconds:.1f}",
            *(str(len(r.new[c])) for c in ("stuck", "lost", "duplicated", "leaked")),
            str(other),
            "yes" if r.ok else "**NO**",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    total = sum(len(r.load.accepted) for r in results)
    lines += [
        "",
        f"{total} orders answered 201 in {time.monotonic() - started:.0f}s; {mode}. "
        f"recover s: from the last order's answer ({TAIL_SECONDS:.0f}s of load after the fault ended) until every invariant "
        "held ('-': not within the bound). other: inconsistencies, new dead letters, programs down, unsent outbox rows and "
        "consumer lag left at the end.",
        "",
    ]
    for r in results:
        details = [
            f"- {c}: " + "; ".join(sorted(r.new[c])[:5]) + (f" (+{len(r.new[c]) - 5} more)" if len(r.new[c]) > 5 else "")
            for c in CATEGORIES
            if r.new[c]
        ]
        if r.motion:
            details.append(f"- still moving at the end: {r.motion}")
        if r.error:
            details.append(f"- last check failed: {r.error}")
        if r.bad_5xx:
            details.append(f"- 5xx not allowed for this fault: {dict(r.bad_5xx)}")
        lines += [f"**{r.fault.title}** ({r.action})", *details, ""]
    return "\n".join(lines)


def main() -> int:
    fault_ids = [f.strip() for f in os.environ.get("CHAOS_FAULTS", "").split(",") if f.strip()] or [f.id for f in FAULTS]
    unknown = set(fault_ids) - {f.id for f in FAULTS}
    if unknown:
        raise SystemExit(f"unknown fault(s) {sorted(unknown)}; known: {', '.join(f.id for f in FAULTS)}")
    total = int(os.environ.get("CHAOS_ORDERS", 1100))
    concurrency = int(os.environ.get("CHAOS_CONCURRENCY", 6))
    if not 1 <= total <= 5000 or not 1 <= concurrency <= 32:
        raise SystemExit("CHAOS_ORDERS must be 1..5000 and CHAOS_CONCURRENCY 1..32 (bounded load on loopback)")
    started = time.monotonic()
    campaign = Campaign(total, fault_ids, concurrency, int(os.environ.get("CHAOS_SEED", 9)))
    results = campaign.run()
    restarter = "the stack's supervisor" if programs.STACK_RESTARTS_PROGRAMS else "the campaign (no supervisor yet)"
    mode = f"killed programs restarted by {restarter}"
    text = report(results, started, mode)
    out = RUN_DIR / "chaos" / "report.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    raw = [
        {
            "fault": r.fault.id,
            "action": r.action,
            "codes": {str(k): v for k, v in r.load.codes.items()},
            "accepted": len(r.load.accepted),
            "recover_seconds": r.recover_seconds,
            "new": {c: sorted(v) for c, v in r.new.items()},
            "motion": r.motion,
            "error": r.error,
            "ok": r.ok,
        }
        for r in results
    ]
    out.with_suffix(".json").write_text(json.dumps(raw, indent=2))
    print(text)
    log(f"report: {out}")
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
