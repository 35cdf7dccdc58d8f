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

GATEWAY = "http://localhost:8080"
COMPLETION_TIMEOUT = 300


def read_secrets() -> dict[str, str]:
    """The local stack's generated secrets (ci/stack/secrets): admin login, database superuser."""
    lines = Path(os.environ["RUN_DIR"], "secrets.env").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if "=" in line)


def percentiles(values: list[float]) -> dict:
    if not values:
        return {"p50": None, "p95": None, "p99": None}
    ordered = sorted(values)
    pick = lambda q: round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 1)  # noqa: E731
    return {"p50": pick(0.50), "p95": pick(0.95), "p99": pick(0.99), "mean": round(statistics.fmean(ordered) * 1000, 1)}


def prepare_sku(session: requests.Session, staff: tuple[str, str], units: int) -> str:
    sku = f"BENCH-{uuid.uuid4().hex[:8].upper()}"
    album = {
        "sku": sku,
        "title": "Bench",
        "artist": "Bench",
        "genre": "bench",
        "release_year": 2024,
        "price": "9.99",
        "currency": "EUR",
    }
    session.post(f"{GATEWAY}/api/catalog/albums", json=album, auth=staff, timeout=10).raise_for_status()
    session.put(f"{GATEWAY}/api/inventory/stock/{sku}", json={"on_hand": units}, auth=staff, timeout=10).raise_for_status()
    return sku


def place_orders(sku: str, email: str, count: int, concurrency: int):
    local = threading.local()

    def place(_):
        session = getattr(local, "session", None) or requests.Session()
        local.session = session
        body = {"customer_email": email, "items": [{"sku": sku, "quantity": 1}], "payment_token": "tok_visa"}
        started = time.monotonic()
        try:
            response = session.post(f"{GATEWAY}/api/orders/orders", json=body, timeout=30)
        except requests.RequestException as exc:
            return None, started, time.monotonic(), f"{type(exc).__name__}"
        done = time.monotonic()
        if response.status_code != 201:
            return None, started, done, f"HTTP {response.status_code}"
        return response.json()["id"], started, done, None

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


def watch_completion(email: str, placed_at: dict[str, float]) -> dict[str, float]:
    """Poll the order list (status=COMPLETED) and note when each order is first seen completed."""
    session, completed_at = requests.Session(), {}
    deadline = time.monotonic() + COMPLETION_TIMEOUT
    while len(completed_at) < len(placed_at) and time.monotonic() < deadline:
        url = f"{GATEWAY}/api/orders/orders"
        params = {"customer_email": email, "status": "COMPLETED", "page_size": 100}
        while url:
            page = session.get(url, params=params, timeout=30).json()
            now = time.monotonic()
            for order in page["results"]:
                completed_at.setdefault(order["id"], now)
            url, params = page["next"], None
        time.sleep(0.1)
    return completed_at


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
    args = parser.parse_args()
    if not 1 <= args.orders <= 5000 or not 1 <= args.concurrency <= 64:
        parser.error("orders must be 1..5000 and concurrency 1..64 (bounded load on loopback)")

    secrets = dict(
        line.split("=", 1) for line in Path(os.environ["RUN_DIR"], "secrets.env").read_text().splitlines() if "=" in line
    )
    staff = (secrets["DJANGO_SUPERUSER_USERNAME"], secrets["DJANGO_SUPERUSER_PASSWORD"])
    sku = prepare_sku(requests.Session(), staff, units=args.orders)
    email = f"bench-{uuid.uuid4().hex[:8]}@example.com"
    print(f"placing {args.orders} orders at concurrency {args.concurrency} (sku {sku})...", file=sys.stderr)
    started = time.monotonic()
    placed_at, latencies, errors = place_orders(sku, email, args.orders, args.concurrency)
    print(f"placed {len(placed_at)} in {time.monotonic() - started:.1f}s; waiting for COMPLETED...", file=sys.stderr)
    completed_at = watch_completion(email, placed_at)
    finished = max(completed_at.values(), default=time.monotonic())
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
    print(f"  result: {out}", file=sys.stderr)
    print(json.dumps(result))
    return 0 if result["errors"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
