"""The chart's alert rules and Grafana dashboards, checked against the local Prometheus (make up).

The local Prometheus loads the rule files ci/stack/observability generates from the chart's
PrometheusRules and scrapes every web service and consumer under the chart's job names, so after a
few orders through the gateway:

- every alert expression and every dashboard query parses (``promtool check rules``; the
  dashboards' queries, their Grafana variables filled in, as recording rules);
- Prometheus has loaded every rule of the rendered chart and evaluates each without error;
- every dashboard query returns data, and every series an alert selects exists, except those a
  healthy shop does not have (``NO_SERIES_IN_A_HEALTHY_SHOP``, each with its reason).
"""

from __future__ import annotations

import json
import re
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests
import yaml

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
PROMETHEUS = "http://127.0.0.1:9090"
DASHBOARDS = sorted((ROOT / "charts/umbrella/files/dashboards").glob("*.json"))
# The labels the local series carry (ci/stack/lib.sh METRICS_NAMESPACE; the release is the render's default).
GRAFANA_VARIABLES = {
    "namespace": "musiccorp",
    "release": "musiccorp",
    "__rate_interval": "1m",
    "__range": "15m",
    "__interval": "15s",
}
# Selectors (by a regular expression on their text) that select nothing locally, and why.
NO_SERIES_IN_A_HEALTHY_SHOP = {
    r'status=~"5\.\."': "5xx responses: none in a healthy shop (the same metric without the status matcher must exist)",
    r"^musiccorp_events_dead_lettered_total\b": (
        "no message dead-lettered: prometheus_client exports a labelled counter only once a label is used"
    ),
    r"^kube_pod_(status_ready|owner)\b": "kube-state-metrics runs only in a cluster: the local stack has no pods",
    r"^pg_(stat_database_numbackends|settings_max_connections)\b": (
        "postgres_exporter (the postgres chart's metrics container) runs only in a cluster: the local stack has none"
    ),
}
DATA_TIMEOUT = 90
# Two scrapes after the orders (every 5 s, ci/stack/prometheus_config.py): a rate() has two samples of any new series.
SCRAPES_SETTLE_SECONDS = 11
SELECTOR = re.compile(r"\b([a-zA-Z_:][a-zA-Z0-9_:]*)\{([^{}]*)\}")


def _query(expr: str) -> list[dict]:
    response = requests.get(f"{PROMETHEUS}/api/v1/query", params={"query": expr}, timeout=15)
    assert response.status_code == 200, f"{expr}: {response.text}"
    body = response.json()
    assert body["status"] == "success", f"{expr}: {body}"
    return body["data"]["result"]


def _rule_files(run_dir: Path) -> list[Path]:
    files = sorted((run_dir / "prometheus/rules").glob("*.yml"))
    assert files, "no rule files: ci/stack/observability prepare did not run"
    return files


def _alerts(run_dir: Path) -> list[dict]:
    groups = [group for path in _rule_files(run_dir) for group in yaml.safe_load(path.read_text())["groups"]]
    return [rule for group in groups for rule in group["rules"] if "alert" in rule]


def _fill_variables(expr: str) -> str:
    def value(match):
        name = match.group(1) or match.group(2)
        assert name in GRAFANA_VARIABLES, f"dashboard variable ${name} has no local value: {expr}"
        return GRAFANA_VARIABLES[name]

    return re.sub(r"\$\{(\w+)\}|\$(\w+)", value, expr)


def _panel_queries() -> list[tuple[str, str]]:
    """(dashboard/panel title, PromQL with the variables filled in) of every panel of every dashboard."""
    queries = []
    for path in DASHBOARDS:
        dashboard = json.loads(path.read_text())
        panels = list(dashboard.get("panels", []))
        while panels:
            panel = panels.pop()
            panels.extend(panel.get("panels", []))  # rows carry their panels
            for target in panel.get("targets", []):
                if target.get("expr"):
                    queries.append((f"{path.stem}/{panel.get('title')}", _fill_variables(target["expr"])))
    return queries


def _excused(selector: str) -> str | None:
    return next((reason for pattern, reason in NO_SERIES_IN_A_HEALTHY_SHOP.items() if re.search(pattern, selector)), None)


def _selectors(expr: str) -> set[str]:
    return {match.group(0) for match in SELECTOR.finditer(expr)}


def _assert_scraped(what: str, selector: str) -> None:
    """An excused selector's metric is still scraped once the matcher that excuses it is dropped (5xx)."""
    present = re.sub(r',?\s*status=~"5\.\."', "", selector)
    if not _excused(present):
        assert _query(present), f"{what}: no series for {present}"


@pytest.fixture(scope="module")
def scraped_after_orders(completed_orders):
    """Every target up and scraped twice since the orders completed."""
    since = datetime.now(UTC) + timedelta(seconds=SCRAPES_SETTLE_SECONDS)
    deadline = time.monotonic() + DATA_TIMEOUT
    while True:
        targets = requests.get(f"{PROMETHEUS}/api/v1/targets", timeout=15).json()["data"]["activeTargets"]
        stale = [
            (target["labels"]["job"], target["health"], target["lastScrape"])
            for target in targets
            if target["health"] != "up" or datetime.fromisoformat(target["lastScrape"]) < since
        ]
        if targets and not stale:
            return completed_orders
        assert time.monotonic() < deadline, f"targets down or not scraped since the orders: {stale}"
        time.sleep(1)


def test_every_alert_and_dashboard_expression_parses(stack, run_dir, tmp_path):
    queries = _panel_queries()
    assert queries, f"no panel queries in {DASHBOARDS}"
    # promtool has no "parse this expression": each panel query becomes a recording rule it checks.
    panels = tmp_path / "dashboard-queries.yml"
    rules = [{"record": f"dashboard:query_{index}", "expr": expr} for index, (_, expr) in enumerate(queries)]
    panels.write_text(yaml.safe_dump({"groups": [{"name": "dashboards", "rules": rules}]}))
    files = [*_rule_files(run_dir), panels]
    result = subprocess.run(["promtool", "check", "rules", *map(str, files)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    print(f"promtool: {len(_alerts(run_dir))} alert rules in {len(files) - 1} files and {len(queries)} dashboard queries parse")


def test_prometheus_loaded_every_rule_of_the_chart_and_evaluates_it(stack, run_dir):
    alerts = {rule["alert"] for rule in _alerts(run_dir)}
    deadline = time.monotonic() + DATA_TIMEOUT
    while True:
        groups = requests.get(f"{PROMETHEUS}/api/v1/rules", params={"type": "alert"}, timeout=15).json()["data"]["groups"]
        loaded = {rule["name"]: rule for group in groups for rule in group["rules"]}
        # A rule's health is "unknown" until its first evaluation.
        if set(loaded) == alerts and all(rule["health"] != "unknown" for rule in loaded.values()):
            break
        assert time.monotonic() < deadline, f"loaded {sorted(loaded)}, expected {sorted(alerts)}"
        time.sleep(1)
    failing = {name: rule.get("lastError") for name, rule in loaded.items() if rule["health"] != "ok"}
    assert not failing, failing


def test_every_dashboard_query_returns_data_after_a_few_orders(scraped_after_orders):
    empty = []
    for title, expr in _panel_queries():
        if _query(expr):
            continue
        reasons = {_excused(selector) for selector in _selectors(expr)} - {None}
        assert reasons, f"{title}: no data for {expr}"
        for selector in _selectors(expr):
            _assert_scraped(title, selector)
        empty.append((title, sorted(reasons)))
    print(f"{len(_panel_queries())} dashboard queries, empty as expected: {empty}")


def test_every_series_an_alert_selects_exists_after_a_few_orders(scraped_after_orders, run_dir):
    checked, excused = 0, {}
    for rule in _alerts(run_dir):
        _query(rule["expr"])  # well-formed: an (empty, in a healthy shop) vector, never an error
        for selector in sorted(_selectors(rule["expr"])):
            reason = _excused(selector)
            if reason:
                excused.setdefault(selector.split("{")[0], reason)
                _assert_scraped(rule["alert"], selector)
                continue
            assert _query(selector), f"{rule['alert']}: no series for {selector}"
            checked += 1
    print(f"alert selectors with series: {checked}; without, and why: {excused}")
