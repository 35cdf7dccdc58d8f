"""/metrics keeps every django_http_* series the chart's alert rules and dashboards read, and only those."""

import re
from pathlib import Path

import pytest
from prometheus_client import Counter, Histogram

from musiccorp_common.request_metrics import RECORDED, RecordedMetrics

REPO = Path(__file__).resolve().parents[3]
_SUFFIXES = re.compile(r"_(bucket|count|sum|total|created)$")


def test_the_recorded_series_are_real_and_the_others_write_nothing():
    metrics = RecordedMetrics.get_instance()
    assert isinstance(metrics.requests_latency_by_view_method, Histogram)
    assert isinstance(metrics.responses_by_status_view_method, Counter)
    assert isinstance(metrics.requests_by_view_transport_method, Counter)
    assert not isinstance(metrics.requests_body_bytes, Histogram)
    metrics.requests_body_bytes.labels(view="v").observe(3)


def test_every_series_the_chart_reads_is_recorded():
    sources = [*REPO.joinpath("charts").rglob("*"), *REPO.joinpath("tests", "charts", "rules").rglob("*")]
    if not sources:
        pytest.skip("no charts in this checkout")
    read = set()
    for path in sources:
        if path.is_file() and path.suffix in {".yaml", ".tpl", ".json"}:
            read |= {_SUFFIXES.sub("", name) for name in re.findall(r"django_http_\w+", path.read_text())}
    assert read, "the chart reads no django_http_* series: RECORDED may be empty"
    for name in read:
        assert name in RECORDED, name
