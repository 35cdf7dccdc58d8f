"""`make screenshots`: one order's trace in Zipkin and the saga funnel in Prometheus, as PNGs for docs/.

Against the running local stack with tracing on (ci/screenshots starts it). First one order is
placed through the gateway with a correlation id of its own; once Zipkin has its trace with spans of
all five services, headless Chromium takes the trace page (Zipkin's UI, Lens). Then ``ci/bench``
places orders in the background, and once Prometheus has a minute of the bench's completions the
graph page with the orders entering each status per second is taken, while the bench still runs.
Each PNG is checked not to be blank (a page that had not rendered is one colour). Loopback only;
every wait is bounded.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
import uuid
from pathlib import Path

import requests
from PIL import Image
from stack_client import GATEWAY, new_album, read_secrets, staff_auth

ZIPKIN = "http://127.0.0.1:9411"
PROMETHEUS = "http://127.0.0.1:9090"
SERVICES = {"catalog", "inventory", "order", "payment", "shipping"}
# Orders entering each status per second: the saga's funnel (PENDING when placed, then PAID, COMPLETED).
FUNNEL_QUERY = 'sum by (status) (rate(musiccorp_orders_total{namespace="musiccorp"}[30s]))'
TRACE_TIMEOUT = 90
BENCH_DATA_SECONDS = 60
BENCH_TIMEOUT = 600


def log(message: str) -> None:
    print(f"screenshots: {message}", file=sys.stderr, flush=True)


def place_traced_order() -> tuple[str, str]:
    """One order through the gateway with its own X-Correlation-ID: (order id, correlation id)."""
    session = requests.Session()
    sku = new_album(session, staff_auth(read_secrets()), units=5, prefix="SHOT")
    correlation_id = f"screenshot-{uuid.uuid4().hex[:12]}"
    body = {"customer_email": "screenshot@example.com", "items": [{"sku": sku, "quantity": 1}], "payment_token": "tok_visa"}
    response = session.post(f"{GATEWAY}/api/orders/orders", json=body, headers={"X-Correlation-ID": correlation_id}, timeout=30)
    if response.status_code != 201:
        raise SystemExit(f"placing the order failed: HTTP {response.status_code} {response.text[:200]}")
    return response.json()["id"], correlation_id


def complete_trace(correlation_id: str) -> list[dict]:
    """The order's trace once it has spans of all five services (as Zipkin's UI searches: by tag)."""
    deadline = time.monotonic() + TRACE_TIMEOUT
    while True:
        response = requests.get(
            f"{ZIPKIN}/api/v2/traces",
            params={"annotationQuery": f"musiccorp.correlation_id={correlation_id}", "lookback": 3_600_000, "limit": 5},
            timeout=15,
        )
        response.raise_for_status()
        for trace in response.json():
            if {span["localEndpoint"]["serviceName"] for span in trace} >= SERVICES:
                # Spans still arriving (batch exporters every 5 s): wait until the count holds.
                time.sleep(6)
                again = requests.get(f"{ZIPKIN}/api/v2/trace/{trace[0]['traceId']}", timeout=15).json()
                if len(again) == len(trace):
                    return trace
        if time.monotonic() > deadline:
            raise SystemExit(f"no complete trace for {correlation_id} in Zipkin after {TRACE_TIMEOUT}s")
        time.sleep(2)


def chromium_screenshot(url: str, out: Path, width: int, height: int, budget_ms: int) -> None:
    """Headless Chromium renders ``url`` (its scripts get ``budget_ms`` of virtual time) into ``out``."""
    with tempfile.TemporaryDirectory(prefix="musiccorp-chromium-") as profile:
        command = [
            shutil.which("chromium") or "chromium",
            "--headless",
            "--disable-gpu",
            "--hide-scrollbars",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-extensions",
            "--force-device-scale-factor=1",
            f"--user-data-dir={profile}",
            f"--window-size={width},{height}",
            f"--virtual-time-budget={budget_ms}",
            f"--screenshot={out}",
        ]
        if os.geteuid() == 0:
            command.append("--no-sandbox")  # Chromium refuses to run as root with its sandbox
        out.unlink(missing_ok=True)
        run = subprocess.run([*command, url], capture_output=True, text=True, timeout=180)
        if run.returncode != 0 or not out.exists():
            raise SystemExit(f"chromium failed ({run.returncode}) for {url}:\n{run.stderr[-2000:]}")
    with Image.open(out) as image:
        colours = image.convert("RGB").getcolors(maxcolors=1 << 16)
        distinct = len(colours) if colours is not None else 1 << 16
    if distinct < 20:
        raise SystemExit(f"{out}: {distinct} colours, the page had not rendered ({url})")
    log(f"{out.name}: {width}x{height}, {out.stat().st_size // 1024} KiB, {distinct} colours ({url})")


def funnel_points(seconds: int) -> dict[str, int]:
    """How many of the last ``seconds`` of the funnel's samples are non-zero, per status."""
    end = time.time()
    response = requests.get(
        f"{PROMETHEUS}/api/v1/query_range",
        params={"query": FUNNEL_QUERY, "start": end - seconds, "end": end, "step": 5},
        timeout=15,
    )
    response.raise_for_status()
    return {
        series["metric"].get("status", "?"): sum(1 for _, value in series["values"] if float(value) > 0)
        for series in response.json()["data"]["result"]
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--bench-orders", type=int, default=int(os.environ.get("SCREENSHOT_BENCH_N", 900)))
    args = parser.parse_args()
    if not 100 <= args.bench_orders <= 5000:
        parser.error("--bench-orders must be 100..5000")
    args.out.mkdir(parents=True, exist_ok=True)

    order_id, correlation_id = place_traced_order()
    log(f"order {order_id} placed with X-Correlation-ID {correlation_id}; waiting for its trace in Zipkin...")
    trace = complete_trace(correlation_id)
    trace_id = trace[0]["traceId"]
    log(f"trace {trace_id}: {len(trace)} spans of {len({s['localEndpoint']['serviceName'] for s in trace})} services")
    # Lens lists one row per span: tall enough for all of them under the trace's header and timeline.
    chromium_screenshot(
        f"{ZIPKIN}/zipkin/traces/{trace_id}",
        args.out / "zipkin-order-trace.png",
        1600,
        min(2400, 420 + 34 * len(trace)),
        10_000,
    )

    bench_log = Path(os.environ["RUN_DIR"], "logs", "screenshots-bench.log")
    command = [
        str(Path(os.environ["ROOT"], "ci", "bench")),
        "--observability",
        "-n",
        str(args.bench_orders),
        "-c",
        "8",
        "--no-observation-cost",
        "--profile",
        "",
    ]
    log(f"ci/bench with {args.bench_orders} orders in the background (log: {bench_log})...")
    with bench_log.open("w") as output:
        bench = subprocess.Popen(
            command, stdout=output, stderr=subprocess.STDOUT, env={**os.environ, "MUSICCORP_SKIP_BOOTSTRAP": "1"}
        )
        try:
            deadline = time.monotonic() + BENCH_TIMEOUT
            # A minute of completions on the graph, taken while the bench still places and completes orders.
            while funnel_points(BENCH_DATA_SECONDS).get("COMPLETED", 0) < BENCH_DATA_SECONDS // 5 - 1:
                if bench.poll() is not None:
                    raise SystemExit(f"ci/bench ended ({bench.returncode}) before a minute of data, see {bench_log}")
                if time.monotonic() > deadline:
                    raise SystemExit("no minute of completions in Prometheus")
                time.sleep(5)
            query = urllib.parse.urlencode(
                {"g0.expr": FUNNEL_QUERY, "g0.tab": "0", "g0.stacked": "0", "g0.show_exemplars": "0", "g0.range_input": "5m"}
            )
            chromium_screenshot(f"{PROMETHEUS}/graph?{query}", args.out / "prometheus-orders.png", 1600, 900, 10_000)
            running = bench.poll() is None
            log(f"the bench was {'still running' if running else 'over'} when the graph was taken; waiting for it...")
            rc = bench.wait(timeout=BENCH_TIMEOUT)
        finally:
            if bench.poll() is None:
                bench.terminate()
                bench.wait(timeout=30)
    # The bench's table: from its observability line (the lines before are the stack's start).
    lines = bench_log.read_text().splitlines()
    first = next((i for i, line in enumerate(lines) if line.startswith("  observability")), len(lines))
    print("\n".join(line for line in lines[first:] if line.startswith("  ")), file=sys.stderr)
    if rc != 0:
        raise SystemExit(f"ci/bench failed ({rc}), see {bench_log}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
