"""Prometheus Operator objects appear only when the cluster serves monitoring.coreos.com/v1 (or
requireCRD is off): a ServiceMonitor per web Service, a PodMonitor per consumer (its /metrics on
EVENTS_CONSUMER_HEALTH_PORT), and rules for error rate, latency and readiness, plus consumer lag,
dead-letter growth and the outbox relay (parked rows, oldest unsent event) for the services that
consume; all labelled for kube-prometheus-stack."""

from __future__ import annotations

import pytest
from chartlib import MONITORING_API, of_kind, parse, render_case, template

CONSUMERS = ("inventory", "order", "payment", "shipping")
MONITORING_KINDS = ("ServiceMonitor", "PodMonitor", "PrometheusRule")


def alerts(rule: dict) -> dict[str, dict]:
    return {r["alert"]: r for g in rule["spec"]["groups"] for r in g["rules"]}


def test_absent_without_the_monitoring_api() -> None:
    docs = render_case("catalog-default")
    for kind in MONITORING_KINDS:
        assert not of_kind(docs, kind), kind


def test_present_when_the_cluster_serves_the_api() -> None:
    docs = parse(template("catalog", MONITORING_API).stdout)
    [monitor] = of_kind(docs, "ServiceMonitor")
    assert monitor["spec"]["endpoints"] == [{"port": "http", "path": "/metrics", "interval": "30s", "scrapeTimeout": "10s"}]
    assert not of_kind(docs, "PodMonitor"), "catalog has no consumer"
    [rule] = of_kind(docs, "PrometheusRule")
    assert alerts(rule).keys() == {"CatalogHighErrorRate", "CatalogHighLatency", "CatalogPodNotReady"}


@pytest.mark.parametrize("service", CONSUMERS)
def test_consumer_metrics_are_scraped_and_alerted(service: str) -> None:
    docs = parse(template(service, MONITORING_API).stdout)
    [pod_monitor] = of_kind(docs, "PodMonitor")
    [endpoint] = pod_monitor["spec"]["podMetricsEndpoints"]
    assert (endpoint["port"], endpoint["path"]) == ("health", "/metrics")
    assert pod_monitor["spec"]["selector"]["matchLabels"]["app.kubernetes.io/component"] == "consumer"
    job = f"musiccorp-{service}-consumer"
    assert {"targetLabel": "job", "replacement": job, "action": "replace"} in endpoint["relabelings"]
    [consumer] = [d for d in of_kind(docs, "Deployment") if d["metadata"]["name"] == job]
    [container] = consumer["spec"]["template"]["spec"]["containers"]
    assert {"name": "health", "containerPort": 8081, "protocol": "TCP"} in container["ports"]
    [rule] = of_kind(docs, "PrometheusRule")
    by_name = alerts(rule)
    title = service.title()
    assert f'musiccorp_consumer_lag{{job="{job}"' in by_name[f"{title}ConsumerLagHigh"]["expr"]
    assert f'musiccorp_events_dead_lettered_total{{job="{job}"' in by_name[f"{title}DeadLetterGrowth"]["expr"]
    description = by_name[f"{title}DeadLetterGrowth"]["annotations"]["description"]
    assert "docs/runbooks/dlq.md" in description
    assert f"kubectl exec deploy/{job} -- python manage.py replay_dlq --dry-run" in description
    parked, stalled = by_name[f"{title}OutboxParked"], by_name[f"{title}OutboxStalled"]
    assert f'max(musiccorp_outbox_parked{{job="{job}"' in parked["expr"]
    assert parked["expr"].strip().endswith("> 0")
    assert f'max(musiccorp_outbox_oldest_unsent_age_seconds{{job="{job}"' in stalled["expr"]
    assert stalled["expr"].strip().endswith("> 300")
    assert stalled["for"] == "5m"
    for rule in (parked, stalled):
        assert rule["annotations"]["runbook_url"] == "docs/runbooks/outbox.md"


def test_outbox_alert_thresholds_come_from_values() -> None:
    values = ["--set", "metrics.prometheusRule.outboxUnsentAgeSeconds=60", "--set", "metrics.prometheusRule.outboxFor=1m"]
    docs = parse(template("order", [*MONITORING_API, *values]).stdout)
    [rule] = of_kind(docs, "PrometheusRule")
    stalled = alerts(rule)["OrderOutboxStalled"]
    assert stalled["expr"].strip().endswith("> 60")
    assert stalled["for"] == "1m"


def test_no_podmonitor_when_switched_off() -> None:
    docs = parse(template("order", [*MONITORING_API, "--set", "metrics.podMonitor.enabled=false"]).stdout)
    assert not of_kind(docs, "PodMonitor")
    assert of_kind(docs, "ServiceMonitor")


def test_umbrella_objects_carry_the_prometheus_release_label() -> None:
    docs = render_case("umbrella-production")
    assert len(of_kind(docs, "ServiceMonitor")) == 5
    assert len(of_kind(docs, "PodMonitor")) == len(CONSUMERS)
    assert len(of_kind(docs, "PrometheusRule")) == 5
    for kind in MONITORING_KINDS:
        for doc in of_kind(docs, kind):
            assert doc["metadata"]["labels"]["release"] == "musiccorp", doc["metadata"]["name"]
