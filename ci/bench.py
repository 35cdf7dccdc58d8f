"""`make bench`: N orders at concurrency C through the gateway, timed to COMPLETED, plus pgbench.

Reports completed orders per second, place-order latency and placed-to-COMPLETED latency
(p50/p95/p99) and errors; what the stack spent on it (CPU per completed order summed over every
stack process, the stack's resident memory, peak and end); what the bench's own observation of
the orders cost the stack, as a share of its CPU; and, as the reference, this machine's
PostgreSQL commit rate measured with pgbench in the same run. As JSON (stdout's last line and a
file in .run/bench/) and a short table. `--sweep` runs C = 1, 2, 4, 8, 16 in one go, prints a
table and draws docs/bench-sweep.png. Traffic goes to the local stack on loopback only; every
loop is bounded in count and time.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests
import stack_usage
from bench_observe import CompletionObserver
from bench_report import mib, percentiles, plot_sweep, sweep_table
from stack_client import new_album, place_order, read_secrets, staff_auth, staff_session

COMPLETION_TIMEOUT = 300
# The order service's own processes (supervisord programs), per implementation: its CPU is the sum
# over these programs' process trees (gunicorn's workers are the master's children).
ORDER_PROGRAMS = {
    "python": ("order", "order-consumer", "order-relay", "order-expiry"),
    "go": ("order-go",),
}


def order_service_roots() -> dict[str, set[int]]:
    """Implementation -> the pids of its order programs that run now (ORDER_IMPL=both: both)."""
    services = Path(os.environ["ROOT"], "ci", "stack", "services")
    found: dict[str, set[int]] = {}
    for impl, programs in ORDER_PROGRAMS.items():
        for program in programs:
            run = subprocess.run([str(services), "pid", program], capture_output=True, text=True, check=False)
            if run.returncode == 0 and run.stdout.strip().isdigit():
                found.setdefault(impl, set()).add(int(run.stdout.strip()))
    return found


SWEEP_CONCURRENCY = (1, 2, 4, 8, 16)


def place_orders(sku: str, email: str, count: int, concurrency: int):
    """POST ``count`` orders from ``concurrency`` threads: (id -> epoch of its 201, latencies, errors)."""
    local = threading.local()

    def place(_):
        session = getattr(local, "session", None) or requests.Session()
        local.session = session
        started = time.monotonic()
        _status, order_id, error = place_order(session, sku, email)
        # Wall clock for the 201: placed-to-COMPLETED ends at order's own updated_at (same machine).
        return order_id, time.monotonic() - started, time.time(), error

    placed_at: dict[str, float] = {}
    latencies, errors = [], []
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        for order_id, latency, done, error in pool.map(place, range(count)):
            latencies.append(latency)
            if error:
                errors.append(error)
            else:
                placed_at[order_id] = done
    return placed_at, latencies, errors


def start_profiles(service: str, seconds: int) -> list[tuple[subprocess.Popen, Path]]:
    """py-spy on every process of ``service`` (a supervisord program of ci/stack/services: "order", "payment-consumer")."""
    services = Path(os.environ["ROOT"], "ci", "stack", "services")
    master = subprocess.run([str(services), "pid", service], capture_output=True, text=True, check=True).stdout.strip()
    # gunicorn's workers are the master's children; a consumer is a single process.
    workers = subprocess.run(["pgrep", "-P", master], capture_output=True, text=True, check=False).stdout.split() or [master]
    runs = []
    for pid in workers:
        out = Path(os.environ["RUN_DIR"], "bench", f"profile-{service}-{pid}.txt")
        out.parent.mkdir(parents=True, exist_ok=True)
        command = [
            f"{os.environ['VENV']}/bin/py-spy",
            "record",
            "--nonblocking",
            "-d",
            str(seconds),
            "-f",
            "raw",
            "-p",
            pid,
            "-o",
            str(out),
        ]
        runs.append((subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL), out))
    return runs


# Where a sample's time goes, by the innermost frame that names a known activity.
PROFILE_CATEGORIES = [
    ("HTTP calls to catalog and inventory", ("urllib3/", "requests/", "http/client.py", "socket.py")),
    ("PostgreSQL round trips", ("psycopg/",)),
    ("event schema validation", ("jsonschema/", "referencing/")),
    ("tracing (OpenTelemetry)", ("opentelemetry/",)),
    ("metrics (prometheus)", ("prometheus_client/", "django_prometheus/")),
    ("logging", ("logging/", "musiccorp_common/logging.py")),
    (
        "DRF serializers and rendering",
        ("rest_framework/serializers.py", "rest_framework/fields.py", "rest_framework/renderers.py", "rest_framework/utils/"),
    ),
    ("Django ORM (query building)", ("django/db/models/",)),
]


def summarize_profiles(runs: list[tuple[subprocess.Popen, Path]]) -> list[dict]:
    """Busy samples of the profiled workers by activity (py-spy raw stacks, innermost frame first)."""
    counts, total = {}, 0
    for process, out in runs:
        process.wait(timeout=120)
        if not out.exists():
            continue
        for line in out.read_text().splitlines():
            stack, _, count = line.rpartition(" ")
            if not count.isdigit():
                # Not a "stack count" line: a frame name with a line break in it (py-spy writes it as is).
                continue
            total += int(count)
            category = next(
                (
                    name
                    for frame in reversed(stack.split(";"))
                    for name, needles in PROFILE_CATEGORIES
                    if any(needle in frame for needle in needles)
                ),
                "other Python (Django, views, gunicorn)",
            )
            counts[category] = counts.get(category, 0) + int(count)
    ranked = sorted(counts.items(), key=lambda item: -item[1])
    return [{"share": round(n / total, 3), "activity": name} for name, n in ranked] if total else []


def pgbench(seconds: int) -> dict:
    """The machine's PostgreSQL commit rate (pgbench simple-update, 4 clients) on a scratch database."""
    env = dict(os.environ)
    secrets = read_secrets()
    env.update(PGHOST="127.0.0.1", PGPORT="55432", PGUSER=secrets["PG_SUPERUSER"], PGPASSWORD=secrets["PG_SUPERUSER_PASSWORD"])
    pg_bin = Path(env["PG_BIN"])
    subprocess.run(
        [pg_bin / "psql", "-q", "-d", "postgres", "-c", "DROP DATABASE IF EXISTS musiccorp_bench"], env=env, check=True
    )
    subprocess.run([pg_bin / "psql", "-q", "-d", "postgres", "-c", "CREATE DATABASE musiccorp_bench"], env=env, check=True)
    subprocess.run([pg_bin / "pgbench", "-q", "-i", "-s", "1", "musiccorp_bench"], env=env, check=True, capture_output=True)
    run = subprocess.run(
        [pg_bin / "pgbench", "-N", "-c", "4", "-j", "2", "-T", str(seconds), "musiccorp_bench"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    subprocess.run([pg_bin / "psql", "-q", "-d", "postgres", "-c", "DROP DATABASE musiccorp_bench"], env=env, check=True)
    tps = re.search(r"tps = ([0-9.]+)", run.stdout)
    return {"clients": 4, "seconds": seconds, "mode": "simple-update (-N)", "tps": round(float(tps.group(1))) if tps else None}


def run_step(roots: set[int], orders: int, concurrency: int, poll_interval: float, profile: str = "") -> dict:
    """One measured run: place ``orders`` at ``concurrency``, wait until order says they are COMPLETED.

    The stack's CPU is measured from the first POST until the bench saw the last completion; RSS
    is sampled every half second over the same window.
    """
    sku = new_album(requests.Session(), staff_auth(read_secrets()), units=orders)
    email = f"bench-{uuid.uuid4().hex[:8]}@example.com"
    observer = CompletionObserver(staff_session(), email, poll_interval)
    print(f"placing {orders} orders at concurrency {concurrency} (sku {sku})...", file=sys.stderr)
    # Sample the profiled service for about the expected placing time (bounded to 60 s).
    profiles = start_profiles(profile, min(60, max(5, orders // 15))) if profile else []
    order_roots = order_service_roots()
    with stack_usage.RssSampler(roots) as rss:
        order_before = {impl: stack_usage.snapshot(pids) for impl, pids in order_roots.items()}
        before, started = stack_usage.snapshot(roots), time.time()
        placed_at, latencies, errors = place_orders(sku, email, orders, concurrency)
        print(f"placed {len(placed_at)} in {time.time() - started:.1f}s; waiting for COMPLETED...", file=sys.stderr)
        observer.wait(len(placed_at), COMPLETION_TIMEOUT)
        after = stack_usage.snapshot(roots)
        order_after = {impl: stack_usage.snapshot(pids) for impl, pids in order_roots.items()}
    polls = observer.requests
    completed_at = {order: at for order, at in observer.completion_times().items() if order in placed_at}
    finished = max(completed_at.values(), default=time.time())
    cpu = stack_usage.cpu_seconds(before, after)
    stack_cpu = sum(cpu.values())
    window = after.at - before.at
    return {
        "orders": orders,
        "concurrency": concurrency,
        "email": email,
        "completed": len(completed_at),
        "placed": len(placed_at),
        "errors": len(errors) + (len(placed_at) - len(completed_at)),
        "error_kinds": {kind: errors.count(kind) for kind in set(errors)},
        "wall_seconds": round(finished - started, 2),
        "completed_orders_per_second": round(len(completed_at) / max(finished - started, 1e-3), 1),
        "place_order_ms": percentiles(latencies),
        "placed_to_completed_ms": percentiles([completed_at[o] - placed_at[o] for o in completed_at]),
        "stack": {
            "window_seconds": round(window, 2),
            "cpu_seconds": round(stack_cpu, 2),
            "cpu_ms_per_completed_order": round(1000 * stack_cpu / len(completed_at), 1) if completed_at else None,
            # The same without Prometheus, Zipkin and the OTLP receiver (equal when they do not run).
            "cpu_ms_per_completed_order_without_backend": (
                round(1000 * (stack_cpu - cpu.get(stack_usage.OBSERVABILITY_PART, 0.0)) / len(completed_at), 1)
                if completed_at
                else None
            ),
            "share_of_machine": round(stack_cpu / (window * os.cpu_count()), 2),
            "cores": os.cpu_count(),
            "cpu_seconds_by_part": {name: round(value, 1) for name, value in cpu.items()},
            "processes": after.processes,
            "rss_mib_peak": mib(rss.peak_bytes),
            "rss_mib_end": mib(rss.last_bytes),
            "rss_samples": rss.samples,
        },
        # The order service's share of the stack's CPU, per implementation running (its programs' trees).
        "order_service": {
            impl: {
                "programs": list(ORDER_PROGRAMS[impl]),
                "cpu_seconds": round(order_cpu, 2),
                "cpu_ms_per_completed_order": round(1000 * order_cpu / len(completed_at), 1) if completed_at else None,
            }
            for impl in order_roots
            for order_cpu in [sum(stack_usage.cpu_seconds(order_before[impl], order_after[impl]).values())]
        },
        "observation": {"poll_interval_s": poll_interval, "count_polls": polls, "list_pages": observer.requests - polls},
        "profile": {"service": profile, "busy_samples_by_activity": summarize_profiles(profiles)},
    }


def cpu_alone(roots: set[int], window: float, observe) -> dict:
    """Stack CPU over ``window`` seconds idle, then over as long again while ``observe()`` runs (and after)."""
    before = stack_usage.snapshot(roots)
    time.sleep(window)
    idle = stack_usage.snapshot(roots)
    observe()
    time.sleep(max(0.0, window - (time.monotonic() - idle.at)))
    alone = stack_usage.snapshot(roots)
    idle_cpu = sum(stack_usage.cpu_seconds(before, idle).values())
    with_observation = sum(stack_usage.cpu_seconds(idle, alone).values())
    # The idle window scaled to the observation's (longer if the last request overran it).
    cost = with_observation - idle_cpu * (alone.at - idle.at) / (idle.at - before.at)
    return {
        "idle_cpu_seconds": round(idle_cpu, 2),
        "with_observation_cpu_seconds": round(with_observation, 2),
        "cpu_seconds": round(cost, 2),
    }


def share_of_step(measured: dict, observer: CompletionObserver, step: dict) -> dict:
    return {
        **measured,
        "requests": observer.requests,
        "share_of_stack_cpu": round(measured["cpu_seconds"] / step["stack"]["cpu_seconds"], 4),
    }


def observation_cost(roots: set[int], step: dict) -> dict:
    """The stack CPU of the bench's observation of ``step``, measured alone.

    Two windows as long as the step's: the stack idle, then the same requests at the same pace
    (the step's count polls at its interval, then the same list pass over its orders) with no
    orders placed. The difference is what observing cost; it is given as a share of the step's
    stack CPU.
    """
    window, observed = step["stack"]["window_seconds"], step["observation"]
    print(f"measuring the observation's cost alone (2 x {window:.0f}s: idle, then the same requests)...", file=sys.stderr)
    # Signed in before the windows: the login hashes the password (PBKDF2), which observing does not repeat.
    observer = CompletionObserver(staff_session(), step["email"], observed["poll_interval_s"])

    def observe():
        for _ in range(observed["count_polls"]):
            observer.completed_count()
            time.sleep(observed["poll_interval_s"])
        observer.completion_times()

    return share_of_step(cpu_alone(roots, window, observe), observer, step)


def list_polling_cost(roots: set[int], step: dict) -> dict:
    """What the bench's former observation would cost for ``step``: the whole list every 100 ms.

    Measured alone like observation_cost, over the step's window, against the step's orders, all
    completed by then, so every poll reads every page: an upper bound (during a run the list
    grows from empty).
    """
    window = step["stack"]["window_seconds"]
    print(f"measuring the former observation (whole list every 100 ms) alone (2 x {window:.0f}s)...", file=sys.stderr)
    observer = CompletionObserver(staff_session(), step["email"], 0.1)

    def observe():
        deadline = time.monotonic() + window
        while time.monotonic() < deadline:
            observer.completion_times()
            time.sleep(0.1)

    return share_of_step(cpu_alone(roots, window, observe), observer, step)


def print_step(step: dict) -> None:
    stack = step["stack"]
    rows = [
        ("completed orders/s", step["completed_orders_per_second"]),
        ("completed / placed / errors", f"{step['completed']} / {step['placed']} / {step['errors']}"),
        ("place order p50/p95/p99 ms", "/".join(str(step["place_order_ms"][k]) for k in ("p50", "p95", "p99"))),
        ("placed->COMPLETED p50/p95/p99 ms", "/".join(str(step["placed_to_completed_ms"][k]) for k in ("p50", "p95", "p99"))),
        ("stack CPU per completed order ms", stack["cpu_ms_per_completed_order"]),
    ]
    for impl, usage in step.get("order_service", {}).items():
        rows.append((f"  of which order service ({impl})", usage["cpu_ms_per_completed_order"]))
    if stack["cpu_ms_per_completed_order_without_backend"] != stack["cpu_ms_per_completed_order"]:
        rows.append(("  without the trace/metrics backend", stack["cpu_ms_per_completed_order_without_backend"]))
    rows += [
        ("stack RSS peak / end MiB", f"{stack['rss_mib_peak']} / {stack['rss_mib_end']} ({stack['processes']} processes)"),
    ]
    for name, value in rows:
        print(f"  {name:<34} {value}", file=sys.stderr)
    print(
        f"  CPU of the stack over {stack['window_seconds']:.1f}s: {stack['cpu_seconds']:.1f}s,"
        f" {stack['share_of_machine']:.0%} of {stack['cores']} cores",
        file=sys.stderr,
    )
    for name, value in stack["cpu_seconds_by_part"].items():
        print(f"    {value:6.1f}s  {name}", file=sys.stderr)


def save(result: dict, name: str) -> Path:
    out = Path(os.environ["RUN_DIR"], "bench", f"{name}-{time.strftime('%Y%m%dT%H%M%S')}.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    return out


def commit() -> str:
    run = subprocess.run(["git", "-C", os.environ["ROOT"], "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    return run.stdout.strip() or "unknown"


def describe_observability(state: dict) -> str:
    """One line saying what the figures include, for the table (the JSON has ``observability``)."""
    if not state["on"]:
        return "observability off: services export no traces, no Prometheus/Zipkin (MUSICCORP_OBSERVABILITY=0)"
    return (
        f"observability on: services export traces ({', '.join(state['traces_exporters'])}); Prometheus, Zipkin"
        f" and the OTLP receiver ({state['backend_processes']} processes) counted in the stack"
    )


def single(args, roots: set[int]) -> int:
    state = stack_usage.observability(roots)
    print(describe_observability(state), file=sys.stderr)
    step = run_step(roots, args.orders, args.concurrency, args.poll_interval, args.profile)
    cost = observation_cost(roots, step) if args.observation_cost else None
    former = list_polling_cost(roots, step) if args.compare_list_polling else None
    print(f"measuring PostgreSQL's commit rate with pgbench ({args.pgbench_seconds}s)...", file=sys.stderr)
    reference = pgbench(args.pgbench_seconds)
    result = {
        **step,
        "observation_cost": cost,
        "list_polling_cost": former,
        "pgbench": reference,
        "commit": commit(),
        "observability": state,
    }
    out = save(result, "bench")
    print(f"  {describe_observability(state)}", file=sys.stderr)
    print_step(step)
    if cost:
        print(
            f"  {'observation cost':<34} {cost['share_of_stack_cpu']:.1%} of stack CPU"
            f" ({cost['cpu_seconds']:.2f}s for {cost['requests']} requests; idle stack {cost['idle_cpu_seconds']:.1f}s"
            f" per {step['stack']['window_seconds']:.0f}s)",
            file=sys.stderr,
        )
    if former:
        print(
            f"  {'former observation (list/100 ms)':<34} {former['share_of_stack_cpu']:.1%} of stack CPU"
            f" ({former['cpu_seconds']:.2f}s for {former['requests']} requests, upper bound)",
            file=sys.stderr,
        )
    print(f"  {'pgbench commits/s (reference)':<34} {result['pgbench']['tps']}", file=sys.stderr)
    if step["profile"]["busy_samples_by_activity"]:
        print(f"  where {args.profile} spent its busy time (py-spy):", file=sys.stderr)
        for row in step["profile"]["busy_samples_by_activity"]:
            print(f"    {row['share']:6.1%}  {row['activity']}", file=sys.stderr)
    print(f"  result: {out}", file=sys.stderr)
    print(json.dumps(result))
    return 0 if step["errors"] == 0 else 1


def sweep(args, roots: set[int]) -> int:
    state = stack_usage.observability(roots)
    print(describe_observability(state), file=sys.stderr)
    steps = [run_step(roots, args.sweep_orders, c, args.poll_interval) for c in SWEEP_CONCURRENCY]
    print(f"measuring PostgreSQL's commit rate with pgbench ({args.pgbench_seconds}s)...", file=sys.stderr)
    reference = pgbench(args.pgbench_seconds)
    result = {
        "sweep": steps,
        "pgbench": reference,
        "commit": commit(),
        "orders_per_step": args.sweep_orders,
        "observability": state,
    }
    out = save(result, "sweep")
    title = (
        f"make bench SWEEP=1: {args.sweep_orders} orders per step, {os.cpu_count()} cores,"
        f" commit {result['commit']}, pgbench {reference['tps']} commits/s,"
        f" observability {'on' if state['on'] else 'off'}"
    )
    plot_sweep(steps, Path(args.plot), title)
    print(sweep_table(steps), file=sys.stderr)
    print(f"  pgbench commits/s (reference, same run): {reference['tps']}", file=sys.stderr)
    print(f"  {describe_observability(state)}", file=sys.stderr)
    print(f"  plot: {args.plot}\n  result: {out}", file=sys.stderr)
    print(json.dumps(result))
    return 0 if all(step["errors"] == 0 for step in steps) else 1


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        epilog="ci/bench (make bench) also takes --observability / --no-observability (OBSERVABILITY=1): "
        "the services with tracing, Prometheus and Zipkin on, or off (the default); docs/benchmark.md",
    )
    parser.add_argument("-n", "--orders", type=int, default=int(os.environ.get("N", 500)))
    parser.add_argument("-c", "--concurrency", type=int, default=int(os.environ.get("C", 8)))
    parser.add_argument("--pgbench-seconds", type=int, default=10)
    parser.add_argument(
        "--profile",
        default=os.environ.get("PROFILE", "" if os.environ.get("ORDER_IMPL") == "go" else "order"),
        help="service whose gunicorn workers py-spy samples while orders are placed ('' for none, the default with"
        " ORDER_IMPL=go; not in a sweep)",
    )
    parser.add_argument("--poll-interval", type=float, default=0.5, help="seconds between the bench's completion polls")
    parser.add_argument(
        "--no-observation-cost",
        dest="observation_cost",
        action="store_false",
        help="skip measuring the observation alone (two more windows as long as the run)",
    )
    parser.add_argument(
        "--compare-list-polling",
        action="store_true",
        help="also measure, alone, what the former observation (the whole order list every 100 ms) would cost",
    )
    parser.add_argument("--sweep", action="store_true", default=os.environ.get("SWEEP", "") not in ("", "0"))
    parser.add_argument("--sweep-orders", type=int, default=int(os.environ.get("SWEEP_N", 200)), help="orders per step")
    parser.add_argument("--plot", default=str(Path(os.environ["ROOT"], "docs", "bench-sweep.png")))
    args = parser.parse_args()
    for orders in (args.orders, args.sweep_orders):
        if not 1 <= orders <= 5000 or not 1 <= args.concurrency <= 64 or not 0.05 <= args.poll_interval <= 10:
            parser.error("orders must be 1..5000, concurrency 1..64, poll interval 0.05..10 s (bounded load on loopback)")
    roots = stack_usage.stack_roots(Path(os.environ["RUN_DIR"]))
    if len(roots) < 4:
        raise SystemExit(f"found {len(roots)} of the stack's 4 daemons' pids in {os.environ['RUN_DIR']}: is it up?")
    return sweep(args, roots) if args.sweep else single(args, roots)


if __name__ == "__main__":
    sys.exit(main())
