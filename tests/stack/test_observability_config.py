"""The local Prometheus's config generated from the chart, and the OTLP-to-Zipkin span mapping.

No server runs here: the chart is rendered with the real helm (ci/render-umbrella) and the spans
are made by the real OpenTelemetry SDK and encoded by its OTLP exporter's encoder. The servers
themselves are exercised by tests/e2e/test_traces.py and test_metrics.py.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import otlp_zipkin
import pytest
import yaml
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

ROOT = Path(__file__).resolve().parents[2]
WEB = {"catalog": 5001, "inventory": 5002, "order": 5003, "payment": 5004, "shipping": 5005}
CONSUMERS = {"inventory": 6002, "order": 6003, "payment": 6004, "shipping": 6005}


def _render(*flags: str) -> list[dict]:
    """The umbrella as the local stack renders it (ci/render-umbrella), with ``flags`` (e.g. --set-json ...)."""
    render = [str(ROOT / "ci/render-umbrella"), "--namespace", "musiccorp", "--api-versions", "monitoring.coreos.com/v1"]
    result = subprocess.run([*render, *flags], capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


@pytest.fixture(scope="module")
def rendered() -> list[dict]:
    return _render()


def _generate(rendered: list[dict], out: Path, web: dict[str, int], *flags: str) -> dict:
    """Run ci/stack/prometheus_config.py on the rendered chart into ``out`` with the release's namespace,
    a ``--web`` per entry of ``web`` and ``flags`` (``--consumer=...``, ``--order-go PORT``, ...):
    the prometheus.yml it writes, parsed."""
    args = [str(out), "--namespace", "musiccorp", *flags]
    args += [f"--web={name}={port}" for name, port in web.items()]
    result = subprocess.run(
        [sys.executable, str(ROOT / "ci/stack/prometheus_config.py"), *args],
        input=yaml.safe_dump_all(rendered),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return yaml.safe_load((out / "prometheus.yml").read_text())


def _assert_promtool_accepts(config: Path) -> None:
    check = ["promtool", "check", "config", str(config)]
    result = subprocess.run(check, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.fixture(scope="module")
def generated(rendered, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("prometheus")
    _generate(rendered, out, WEB, *(f"--consumer={name}={port}" for name, port in CONSUMERS.items()))
    return out


def test_the_local_rules_are_the_charts_prometheus_rules_unchanged(rendered, generated):
    chart = {doc["metadata"]["name"]: doc["spec"]["groups"] for doc in rendered if doc["kind"] == "PrometheusRule"}
    local = {path.stem: yaml.safe_load(path.read_text())["groups"] for path in (generated / "rules").glob("*.yml")}
    assert local == chart
    assert len(chart) == len(WEB)


def test_the_local_jobs_are_named_as_the_charts_monitors_name_them(rendered, generated):
    monitors = {doc["metadata"]["name"] for doc in rendered if doc["kind"] == "ServiceMonitor"}
    monitors |= {
        relabeling["replacement"]
        for doc in rendered
        if doc["kind"] == "PodMonitor"
        for endpoint in doc["spec"]["podMetricsEndpoints"]
        for relabeling in endpoint.get("relabelings", [])
        if relabeling.get("targetLabel") == "job"
    }
    # The postgres chart's exporter runs only in a cluster: the local stack has none to scrape.
    monitors -= {"musiccorp-postgres-metrics"}
    config = yaml.safe_load((generated / "prometheus.yml").read_text())
    jobs = {job["job_name"]: job["static_configs"][0] for job in config["scrape_configs"]}
    assert set(jobs) == monitors
    assert jobs["musiccorp-order"]["targets"] == ["127.0.0.1:5003"]
    assert jobs["musiccorp-order-consumer"]["targets"] == ["127.0.0.1:6003"]
    assert {static["labels"]["namespace"] for static in jobs.values()} == {"musiccorp"}
    _assert_promtool_accepts(generated / "prometheus.yml")


def test_order_go_is_scraped_beside_order_with_order_impl_both(rendered, tmp_path):
    """ORDER_IMPL=both (ci/stack/observability): order-go on :5006 beside the Django order, its
    series split over the order service's two jobs as charts/order's order-go monitors split them
    (configs of its own, the job label relabelled), and promtool accepts the config."""
    config = _generate(rendered, tmp_path, WEB, "--order-go", "5006")
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert jobs["musiccorp-order"]["static_configs"][0]["targets"] == ["127.0.0.1:5003"]
    for name, job, action in (
        ("musiccorp-order-go", "musiccorp-order", "drop"),
        ("musiccorp-order-go-consumer", "musiccorp-order-consumer", "keep"),
    ):
        static = jobs[name]["static_configs"][0]
        assert static == {"targets": ["127.0.0.1:5006"], "labels": {"namespace": "musiccorp", "service": "order"}}
        assert jobs[name]["relabel_configs"] == [{"target_label": "job", "replacement": job}]
        assert jobs[name]["metric_relabel_configs"] == [
            {"source_labels": ["__name__"], "regex": "musiccorp_.*", "action": action}
        ]
    # The same jobs and split as the chart's order-go monitors (tests/charts/test_order_implementations.py).
    monitors = {
        doc["kind"]: doc
        for doc in _render("--set-json", 'order.implementations=["python","go"]')
        if doc["kind"] in ("ServiceMonitor", "PodMonitor") and doc["metadata"]["name"] == "musiccorp-order-go"
    }
    sm = monitors["ServiceMonitor"]["spec"]["endpoints"][0]
    pm = monitors["PodMonitor"]["spec"]["podMetricsEndpoints"][0]
    for endpoint, name in ((sm, "musiccorp-order-go"), (pm, "musiccorp-order-go-consumer")):
        [replace] = [r for r in endpoint["relabelings"] if r.get("targetLabel") == "job"]
        assert replace["replacement"] == jobs[name]["relabel_configs"][0]["replacement"]
        [split] = endpoint["metricRelabelings"]
        assert (split["regex"], split["action"]) == ("musiccorp_.*", jobs[name]["metric_relabel_configs"][0]["action"])
    _assert_promtool_accepts(tmp_path / "prometheus.yml")


def test_order_go_alone_is_scraped_as_the_order_services_web_and_consumer_jobs(rendered, tmp_path):
    """ORDER_IMPL=go: one order-go process, its series split over the two jobs the rules select
    (django_http_* on the web job, musiccorp_* on the consumer job), none on both."""
    web = {name: port for name, port in WEB.items() if name != "order"}
    config = _generate(rendered, tmp_path, web, "--order-go-alone", "5006")
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    for name, action in (("musiccorp-order", "drop"), ("musiccorp-order-consumer", "keep")):
        assert jobs[name]["static_configs"][0]["targets"] == ["127.0.0.1:5006"]
        relabel = {"source_labels": ["__name__"], "regex": "musiccorp_.*", "action": action}
        assert jobs[name]["metric_relabel_configs"] == [relabel]
    _assert_promtool_accepts(tmp_path / "prometheus.yml")


def _exported(build) -> list[dict]:
    """Spans the SDK records while ``build(tracer)`` runs, through the OTLP encoder and the mapping."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create({"service.name": "order"}))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    build(provider.get_tracer("musiccorp.events"))
    request = encode_spans(exporter.get_finished_spans())
    return otlp_zipkin.zipkin_spans(request)


def test_spans_keep_their_trace_parent_kind_tags_and_service():
    def build(tracer):
        with (
            tracer.start_as_current_span("POST /orders", kind=trace.SpanKind.SERVER),
            tracer.start_as_current_span("order.placed publish", kind=trace.SpanKind.PRODUCER) as span,
        ):
            span.set_attribute("musiccorp.correlation_id", "corr-1")
            span.set_attribute("retries", 2)

    spans = {span["name"]: span for span in _exported(build)}
    server, producer = spans["POST /orders"], spans["order.placed publish"]
    assert server["kind"] == "SERVER"
    assert producer["kind"] == "PRODUCER"
    assert producer["traceId"] == server["traceId"]
    assert len(producer["traceId"]) == 32
    assert producer["parentId"] == server["id"]
    assert "parentId" not in server
    assert producer["localEndpoint"] == {"serviceName": "order"}
    assert producer["tags"]["musiccorp.correlation_id"] == "corr-1"
    assert producer["tags"]["retries"] == "2"
    assert producer["tags"]["otel.scope.name"] == "musiccorp.events"
    assert producer["duration"] >= 1
    assert producer["timestamp"] >= server["timestamp"]


def test_a_failed_span_is_an_error_in_zipkin_and_an_internal_one_has_no_kind():
    def build(tracer):
        with tracer.start_as_current_span("reserve") as span:
            span.set_status(trace.Status(trace.StatusCode.ERROR, "out of stock"))

    (span,) = _exported(build)
    assert "kind" not in span
    assert span["tags"]["error"] == "out of stock"
    assert span["tags"]["otel.status_code"] == "ERROR"
