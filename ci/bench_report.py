"""What `make bench` prints and draws: percentiles, the sweep's table and its plot (docs/bench-sweep.png)."""

from __future__ import annotations

import statistics
from pathlib import Path


def percentile(values: list[float], q: float) -> float:
    """The nearest-rank percentile (q 0.99: p99): the value at floor(q*n) of the sorted list; 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def percentiles(seconds: list[float]) -> dict:
    """p50/p95/p99 and mean in milliseconds (``percentile``'s nearest rank); None each for no values."""
    if not seconds:
        return {"p50": None, "p95": None, "p99": None, "mean": None}

    def pick(q: float) -> float:
        return round(percentile(seconds, q) * 1000, 1)

    return {"p50": pick(0.50), "p95": pick(0.95), "p99": pick(0.99), "mean": round(statistics.fmean(seconds) * 1000, 1)}


def mib(value: int) -> float:
    return round(value / 2**20, 1)


SWEEP_COLUMNS = [
    ("C", lambda step: step["concurrency"]),
    ("orders/s", lambda step: step["completed_orders_per_second"]),
    ("place p50", lambda step: step["place_order_ms"]["p50"]),
    ("place p99", lambda step: step["place_order_ms"]["p99"]),
    ("->COMPLETED p50", lambda step: step["placed_to_completed_ms"]["p50"]),
    ("->COMPLETED p99", lambda step: step["placed_to_completed_ms"]["p99"]),
    ("CPU ms/order", lambda step: step["stack"]["cpu_ms_per_completed_order"]),
    ("errors", lambda step: step["errors"]),
]


def sweep_table(steps: list[dict]) -> str:
    """The sweep as a Markdown table (latencies in ms), one row per concurrency."""
    header = "| " + " | ".join(name for name, _ in SWEEP_COLUMNS) + " |"
    rule = "|" + "|".join("---:" for _ in SWEEP_COLUMNS) + "|"
    cells = [["" if cell(step) is None else str(cell(step)) for _, cell in SWEEP_COLUMNS] for step in steps]
    rows = ["| " + " | ".join(row) + " |" for row in cells]
    return "\n".join([header, rule, *rows])


def plot_sweep(steps: list[dict], path: Path, title: str) -> None:
    """Throughput (left) and latency percentiles (right, log scale) against concurrency, as a PNG."""
    import matplotlib

    matplotlib.use("Agg")  # headless: no display on the machine that runs the bench
    import matplotlib.pyplot as plt

    concurrency = [step["concurrency"] for step in steps]
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    left.plot(concurrency, [step["completed_orders_per_second"] for step in steps], marker="o")
    left.set(xlabel="concurrent clients (C)", ylabel="completed orders/s", title="throughput", xscale="log", ylim=(0, None))
    series = [
        ("place order p50", "place_order_ms", "p50", "-"),
        ("place order p99", "place_order_ms", "p99", "--"),
        ("placed->COMPLETED p50", "placed_to_completed_ms", "p50", "-"),
        ("placed->COMPLETED p99", "placed_to_completed_ms", "p99", "--"),
    ]
    for label, measure, quantile, style in series:
        right.plot(concurrency, [step[measure][quantile] for step in steps], style, marker="o", label=label)
    right.set(xlabel="concurrent clients (C)", ylabel="ms", title="latency", xscale="log", yscale="log")
    right.legend(fontsize="small")
    for axes in (left, right):
        axes.set_xticks(concurrency, [str(c) for c in concurrency])
        axes.grid(True, which="both", alpha=0.3)
    fig.suptitle(title, fontsize="medium")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
