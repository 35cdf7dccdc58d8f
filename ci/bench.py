"""`make bench`: N orders at concurrency C through the gateway, timed to COMPLETED, plus pgbench.

Reports completed orders per second, place-order latency and placed-to-COMPLETED latency
(p50/p95/p99) and errors, as JSON (to stdout's last line and a file) and a short table; and,
as the reference, this machine's PostgreSQL commit rate measured with pgbench in the same run.
Traffic goes to the local stack on loopback only; every loop is bounded in count and time.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests
from stack_client import GATEWAY, new_album, place_order, read_secrets, staff_auth, staff_session

COMPLETION_TIMEOUT = 300


def percentiles(values: list[float]) -> dict:
    if not values:
        return {"p50": None, "p95": None, "p99": None}
    ordered = sorted(values)
    pick = lambda q: round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 1)  # noqa: E731
    return {"p50": pick(0.50), "p95": pick(0.95), "p99": pick(0.99), "mean": round(statistics.fmean(ordered) * 1000, 1)}


def place_orders(sku: str, email: str, count: int, concurrency: int):
    local = threading.local()

    def place(_):
        session = getattr(local, "session", None) or requests.Session()
        local.session = session
        started = time.monotonic()
        _status, order_id, error = place_order(session, sku, email)
        return order_id, started, time.monotonic(), error

    placed_at: dict[str, float] = {}
    latencies, errors = [], []
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        for order_id, started, done, error in pool.map(place, range(count)):
            latencies.append(done - started)
            if error:
                errors.append(error)
            else:
                placed_at[order_id] = done  # placed-to-COMPLETED counts from the 201
    return placed_at, latencies, errors


def watch_completion(email: str, completed_at: dict[str, float], placing_done: threading.Event, placed: dict) -> None:
    """Poll the order list (status=COMPLETED) and note when each order is first seen completed.

    Stops when every placed order completed, or COMPLETION_TIMEOUT after placing ended. Listing
    orders takes a staff user (docs/security.md): the stack's admin, from its secrets.
    """
    session = staff_session()
    deadline = None
    while True:
        url = f"{GATEWAY}/api/orders/orders"
        params = {"customer_email": email, "status": "COMPLETED", "page_size": 100}
        while url:
            page = session.get(url, params=params, timeout=30).json()
            now = time.monotonic()
            for order in page["results"]:
                completed_at.setdefault(order["id"], now)
            url, params = page["next"], None
        if placing_done.is_set():
            deadline = deadline or time.monotonic() + COMPLETION_TIMEOUT
            if len(completed_at) >= len(placed) or time.monotonic() > deadline:
                return
        time.sleep(0.1)


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


COMPONENTS = [
    ("web workers (gunicorn)", "gunicorn"),
    ("consumers and outbox relays", "manage.py consume"),
    ("kafka broker", "kafka.Kafka"),
    ("postgresql", "postgres"),
    ("nginx gateway", "nginx"),
]


def cpu_ticks() -> dict[str, int]:
    """CPU time (clock ticks, user + system) of the stack's processes, by component."""
    ticks: dict[str, int] = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
            command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        component = next((name for name, needle in COMPONENTS if needle in command), None)
        if component:
            ticks[f"{component}|{pid}"] = int(fields[11]) + int(fields[12])
    return ticks


def cpu_by_component(before: dict[str, int], after: dict[str, int], wall: float) -> dict:
    seconds: dict[str, float] = {}
    for key, value in after.items():
        component = key.split("|")[0]
        seconds[component] = seconds.get(component, 0) + (value - before.get(key, 0)) / os.sysconf("SC_CLK_TCK")
    busy = sum(seconds.values())
    return {
        "cores": os.cpu_count(),
        "stack_cpu_share_of_machine": round(busy / (wall * os.cpu_count()), 2),
        "seconds": {name: round(value, 1) for name, value in sorted(seconds.items(), key=lambda item: -item[1])},
    }


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
    return {"clients": 4, "seconds": seconds, "mode": "simple-update (-N)", "tps": float(tps.group(1)) if tps else None}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--orders", type=int, default=int(os.environ.get("N", 500)))
    parser.add_argument("-c", "--concurrency", type=int, default=int(os.environ.get("C", 8)))
    parser.add_argument("--pgbench-seconds", type=int, default=10)
    parser.add_argument(
        "--profile",
        default=os.environ.get("PROFILE", "order"),
        help="service whose gunicorn workers py-spy samples while orders are placed ('' for none)",
    )
    args = parser.parse_args()
    if not 1 <= args.orders <= 5000 or not 1 <= args.concurrency <= 64:
        parser.error("orders must be 1..5000 and concurrency 1..64 (bounded load on loopback)")

    sku = new_album(requests.Session(), staff_auth(read_secrets()), units=args.orders)
    email = f"bench-{uuid.uuid4().hex[:8]}@example.com"
    print(f"placing {args.orders} orders at concurrency {args.concurrency} (sku {sku})...", file=sys.stderr)
    ticks_before = cpu_ticks()
    started = time.monotonic()
    completed_at: dict[str, float] = {}
    placing_done = threading.Event()
    placed: dict[str, float] = {}
    # The watcher runs while orders are placed, so an early order's completion is seen when it happens.
    watcher = threading.Thread(target=watch_completion, args=(email, completed_at, placing_done, placed))
    watcher.start()
    # Sample the profiled service for about the expected placing time (bounded to 60 s).
    profiles = start_profiles(args.profile, min(60, max(5, args.orders // 15))) if args.profile else []
    placed_at, latencies, errors = place_orders(sku, email, args.orders, args.concurrency)
    placed.update(placed_at)
    placing_done.set()
    print(f"placed {len(placed_at)} in {time.monotonic() - started:.1f}s; waiting for COMPLETED...", file=sys.stderr)
    watcher.join()
    finished = max(completed_at.values(), default=time.monotonic())
    cpu = cpu_by_component(ticks_before, cpu_ticks(), time.monotonic() - started)
    saga = [completed_at[o] - placed_at[o] for o in completed_at if o in placed_at]
    print(f"measuring PostgreSQL's commit rate with pgbench ({args.pgbench_seconds}s)...", file=sys.stderr)
    reference = pgbench(args.pgbench_seconds)

    result = {
        "orders": args.orders,
        "concurrency": args.concurrency,
        "completed": len(completed_at),
        "errors": len(errors) + (len(placed_at) - len(completed_at)),
        "error_kinds": {kind: errors.count(kind) for kind in set(errors)},
        "wall_seconds": round(finished - started, 2),
        "completed_orders_per_second": round(len(completed_at) / (finished - started), 1),
        "place_order_ms": percentiles(latencies),
        "placed_to_completed_ms": percentiles(saga),
        "pgbench": reference,
        "cpu": cpu,
        "profile": {"service": args.profile, "busy_samples_by_activity": summarize_profiles(profiles)},
    }
    out = Path(os.environ["RUN_DIR"], "bench", f"bench-{time.strftime('%Y%m%dT%H%M%S')}.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    rows = [
        ("completed orders/s", result["completed_orders_per_second"]),
        ("completed / placed / errors", f"{result['completed']} / {len(placed_at)} / {result['errors']}"),
        ("place order p50/p95/p99 ms", "/".join(str(result["place_order_ms"][k]) for k in ("p50", "p95", "p99"))),
        ("placed->COMPLETED p50/p95/p99 ms", "/".join(str(result["placed_to_completed_ms"][k]) for k in ("p50", "p95", "p99"))),
        ("pgbench commits/s (reference)", reference["tps"]),
    ]
    for name, value in rows:
        print(f"  {name:<34} {value}", file=sys.stderr)
    print(f"  CPU of the stack while it ran: {cpu['stack_cpu_share_of_machine']:.0%} of {cpu['cores']} cores", file=sys.stderr)
    for name, value in cpu["seconds"].items():
        print(f"    {value:6.1f}s  {name}", file=sys.stderr)
    if result["profile"]["busy_samples_by_activity"]:
        print(f"  where {args.profile} spent its busy time (py-spy):", file=sys.stderr)
        for row in result["profile"]["busy_samples_by_activity"]:
            print(f"    {row['share']:6.1%}  {row['activity']}", file=sys.stderr)
    print(f"  result: {out}", file=sys.stderr)
    print(json.dumps(result))
    return 0 if result["errors"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
