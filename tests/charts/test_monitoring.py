"""ServiceMonitor and PrometheusRule appear only when the cluster serves monitoring.coreos.com/v1
(or requireCRD is off), and the rules cover error rate, latency and readiness."""

from __future__ import annotations

from chartlib import MONITORING_API, of_kind, parse, render_case, template


def test_absent_without_the_monitoring_api() -> None:
    docs = render_case("catalog-default")
    assert not of_kind(docs, "ServiceMonitor")
    assert not of_kind(docs, "PrometheusRule")


def test_present_when_the_cluster_serves_the_api() -> None:
    docs = parse(template("catalog", MONITORING_API).stdout)
    [monitor] = of_kind(docs, "ServiceMonitor")
    assert monitor["spec"]["endpoints"] == [{"port": "http", "path": "/metrics", "interval": "30s", "scrapeTimeout": "10s"}]
    [rule] = of_kind(docs, "PrometheusRule")
    alerts = {r["alert"] for g in rule["spec"]["groups"] for r in g["rules"]}
    assert alerts == {"CatalogHighErrorRate", "CatalogHighLatency", "CatalogPodNotReady"}


def test_umbrella_labels_match_the_prometheus_release_selector() -> None:
    [monitor] = of_kind(render_case("umbrella-production"), "ServiceMonitor")
    assert monitor["metadata"]["labels"]["release"] == "musiccorp"
