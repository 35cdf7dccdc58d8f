"""What `make bench` reports about the stack's cost, checked on real processes and real files.

CPU accounting (ci/stack_usage.py): a process tree of our own burns a known amount of CPU, part
of it in a child that exits and is reaped during the window, and the measured figure must hold
it; processes outside the roots' trees are not counted. The sweep's table and plot
(ci/bench_report.py). No stack and no servers are needed.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time

import bench_report
import pytest
import stack_usage

# A parent that forks a child burning ``BURN`` seconds of CPU, reaps it, then burns as much
# itself, and waits to be told to go: the child's time must survive the child's exit.
BURN = 0.6
TREE = textwrap.dedent(
    f"""
    import os, sys, time

    def burn(seconds):
        start = time.process_time()
        while time.process_time() - start < seconds:
            pass

    sys.stdin.readline()  # go: the window has started
    child = os.fork()
    if child == 0:
        burn({BURN})
        os._exit(0)
    os.waitpid(child, 0)
    burn({BURN})
    print("done", flush=True)
    sys.stdin.readline()  # the window has ended
    """
)


def test_cpu_of_a_reaped_child_is_counted_and_nothing_outside_the_roots():
    tree = subprocess.Popen([sys.executable, "-c", TREE], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    bystander = subprocess.Popen([sys.executable, "-c", "import time\nwhile True: pass"])
    try:
        before = stack_usage.snapshot({tree.pid})
        tree.stdin.write("go\n")
        tree.stdin.flush()
        assert tree.stdout.readline().strip() == "done"
        after = stack_usage.snapshot({tree.pid})
    finally:
        tree.stdin.write("end\n")
        tree.stdin.flush()
        tree.wait(timeout=10)
        bystander.kill()
        bystander.wait(timeout=10)
    used = sum(stack_usage.cpu_seconds(before, after).values())
    # Both halves (2 x BURN) and little more: the bystander burned a core meanwhile, not counted.
    assert 2 * BURN - 0.05 <= used <= 2 * BURN + 0.4, used
    assert after.processes == 1  # the child is gone, its time is in the parent's cutime
    assert after.rss_bytes > 1 << 20


def test_stat_line_with_a_tricky_command_name():
    fields = ["S", "42"] + ["0"] * 9 + ["100", "20", "3", "4"] + ["0"] * 6 + ["256"] + ["0"] * 20
    stat = stack_usage.parse_stat(7, "7 (a) (b c)) " + " ".join(fields))
    assert (stat.pid, stat.ppid, stat.ticks, stat.rss_bytes) == (7, 42, 127, 256 * os.sysconf("SC_PAGE_SIZE"))


def test_descendants_follow_the_tree_only_from_live_roots():
    parents = {1: 0, 10: 1, 11: 10, 12: 11, 20: 1, 21: 20}
    assert stack_usage.descendants(parents, {10, 99}) == {10, 11, 12}


def test_components_sort_the_stack_processes():
    named = {
        "/venv/bin/python /venv/bin/gunicorn --bind 127.0.0.1:5003 config.wsgi": "web workers (gunicorn)",
        "/venv/bin/python manage.py consume --no-relay": "consumers and outbox relays",
        "/venv/bin/python manage.py relay_outbox": "consumers and outbox relays",
        "/venv/bin/python manage.py expire_orders --every 30": "periodic commands",
        "postgres: order order 127.0.0.1(5432) idle": "postgresql",
        "java -Xmx512m kafka.Kafka server.properties": "kafka broker",
        "nginx: worker process": "nginx gateway",
        "/venv/bin/python /venv/bin/supervisord -c supervisord.conf": "supervisord and watchdog",
        "/usr/bin/java -Xmx384m -jar /cache/zipkin-3.4.2/zipkin.jar --armeria.ports[0].port=9411": "trace and metrics backend",
        "/venv/bin/python ci/stack/otlp_zipkin.py --listen 127.0.0.1:4318": "trace and metrics backend",
        "/usr/bin/prometheus --config.file=.run/prometheus/prometheus.yml": "trace and metrics backend",
    }
    assert {command: stack_usage.component_of(command) for command in named} == named


def test_stack_roots_read_from_the_run_dir(tmp_path):
    (tmp_path / "postgres" / "data").mkdir(parents=True)
    (tmp_path / "postgres" / "data" / "postmaster.pid").write_text("1489\n/data\n1700000000\n55432\n")
    (tmp_path / "pids").mkdir()
    (tmp_path / "pids" / "kafka.pid").write_text("2480\n")
    (tmp_path / "pids" / "gateway.pid").write_text("")
    assert stack_usage.stack_roots(tmp_path) == {1489, 2480}


def test_percentiles_nearest_rank_in_ms():
    got = bench_report.percentiles([i / 1000 for i in range(1, 101)])
    assert got == {"p50": 51.0, "p95": 96.0, "p99": 100.0, "mean": 50.5}
    assert bench_report.percentiles([])["p99"] is None
    assert bench_report.percentile([0.3, 0.1, 0.2, 0.4], 0.5) == 0.3  # seconds, unsorted input
    assert bench_report.percentile([], 0.99) == 0.0


def sweep_steps() -> list[dict]:
    return [
        {
            "concurrency": c,
            "completed_orders_per_second": 5.0 * c,
            "place_order_ms": {"p50": 70.0 * c, "p99": 200.0 * c},
            "placed_to_completed_ms": {"p50": 210.0 * c, "p99": None if c == 16 else 900.0 * c},
            "stack": {"cpu_ms_per_completed_order": 85.2},
            "errors": 0 if c < 16 else 3,
        }
        for c in (1, 2, 4, 8, 16)
    ]


def test_sweep_table_has_a_row_per_concurrency():
    lines = bench_report.sweep_table(sweep_steps()).splitlines()
    assert lines[0].startswith("| C | orders/s | place p50 | place p99 |")
    assert len(lines) == 2 + 5
    assert lines[2] == "| 1 | 5.0 | 70.0 | 200.0 | 210.0 | 900.0 | 85.2 | 0 |"
    assert lines[-1] == "| 16 | 80.0 | 1120.0 | 3200.0 | 3360.0 |  | 85.2 | 3 |"


def test_sweep_plot_is_a_png(tmp_path):
    out = tmp_path / "docs" / "sweep.png"
    started = time.monotonic()
    bench_report.plot_sweep(sweep_steps()[:4], out, "test")
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert out.stat().st_size > 10_000
    assert time.monotonic() - started < 60


@pytest.mark.parametrize("stamp", ["2026-12-02T07:30:00.250000Z", "2026-12-02T08:30:00.250000+01:00"])
def test_api_timestamps_as_epoch(stamp):
    import bench_observe

    assert bench_observe.epoch(stamp) == 1796196600.25
