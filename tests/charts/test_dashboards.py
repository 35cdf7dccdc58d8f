"""Grafana dashboards ship as ConfigMaps the kube-prometheus-stack sidecar loads (label
grafana_dashboard="1"), and kube-prometheus-stack is set up to pick up this release's monitors,
rules and dashboards; the overview shows what the operators need per service."""

from __future__ import annotations

import json

import pytest
import yaml
from chartlib import DEFAULT_VALUES, ROOT, of_kind, render_case

UMBRELLA_VALUES = ROOT / "charts" / "umbrella" / "values.yaml"


def dashboards(case: str) -> list[dict]:
    return [cm for cm in of_kind(render_case(case), "ConfigMap") if cm["metadata"]["labels"].get("grafana_dashboard") == "1"]


@pytest.mark.parametrize("case", ["umbrella-default", "umbrella-values-production", "umbrella-production"])
def test_overview_dashboard_is_rendered_with_the_prometheus_stack(case: str) -> None:
    shipped = {key: text for cm in dashboards(case) for key, text in cm["data"].items()}
    assert {"musiccorp-overview.json", "musiccorp-saga.json", "musiccorp-events.json"} <= shipped.keys()
    dashboard = json.loads(shipped["musiccorp-overview.json"])
    exprs = " ".join(t["expr"] for p in dashboard["panels"] for t in p["targets"])
    for metric in (
        "django_http_requests_total_by_view_transport_method_total",
        'django_http_responses_total_by_status_view_method_total{namespace=~"$namespace"',
        "django_http_requests_latency_seconds_by_view_method_bucket",
        "musiccorp_orders_total",
        "musiccorp_consumer_lag",
        "musiccorp_events_dead_lettered_total",
    ):
        assert metric in exprs, metric
    assert "sum by (status) (increase(musiccorp_orders_total" in exprs
    assert len({p["id"] for p in dashboard["panels"]}) == len(dashboard["panels"])


def test_no_dashboards_without_the_prometheus_stack() -> None:
    assert not dashboards("umbrella-monitoring-off")


def test_prometheus_selects_the_release_labels_our_objects_carry() -> None:
    kps = yaml.safe_load(UMBRELLA_VALUES.read_text())["kube-prometheus-stack"]
    spec = kps["prometheus"]["prometheusSpec"]
    for selector in ("serviceMonitor", "podMonitor", "rule"):
        assert spec[f"{selector}SelectorNilUsesHelmValues"] is True, selector
    sidecar = kps["grafana"]["sidecar"]["dashboards"]
    assert (sidecar["enabled"], sidecar["label"], sidecar["labelValue"]) == (True, "grafana_dashboard", "1")


def test_default_values_switch_off_unreachable_scrapers_and_expose_the_uis() -> None:
    kps = yaml.safe_load(DEFAULT_VALUES.read_text())["kube-prometheus-stack"]
    assert kps["enabled"] is True
    for component in ("kubeControllerManager", "kubeScheduler", "kubeEtcd", "kubeProxy"):
        assert kps[component]["enabled"] is False, component
    assert kps["grafana"]["service"] == {"type": "NodePort", "nodePort": 30000}
    assert kps["prometheus"]["service"] == {"type": "NodePort", "nodePort": 30090}


def test_monitoring_off_renders_no_monitoring_objects() -> None:
    docs = render_case("umbrella-monitoring-off")
    for kind in ("ServiceMonitor", "PodMonitor", "PrometheusRule"):
        assert not of_kind(docs, kind), kind
