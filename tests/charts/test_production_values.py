"""charts/umbrella/values-production.yaml: what a real cluster needs over the kind defaults. The
ingress controller behind a LoadBalancer with its admission webhook, TLS on the shop's host,
several replicas with real resources, persistent Kafka and PostgreSQL volumes, the control-plane
scrapers on and no NodePorts. The rendered objects are validated with the whole render matrix
(case umbrella-values-production); here, what the file turns into."""

from __future__ import annotations

import copy

import yaml
from chartlib import DEFAULT_VALUES, PRODUCTION_VALUES, ROOT, SERVICES, of_kind, render_case

CASE = "umbrella-values-production"


def merged(base: dict, over: dict) -> dict:
    """Helm's merge of a values file over the defaults: maps key by key, null deletes the key."""
    out = copy.deepcopy(base)
    for key, value in over.items():
        if value is None:
            out.pop(key, None)
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merged(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def production() -> dict:
    return merged(yaml.safe_load(DEFAULT_VALUES.read_text()), yaml.safe_load(PRODUCTION_VALUES.read_text()))


def test_ingress_controller_behind_a_load_balancer_with_its_admission_webhook() -> None:
    controller = production()["ingress-nginx"]["controller"]
    assert controller["service"]["type"] == "LoadBalancer"
    assert controller["hostPort"]["enabled"] is False
    assert controller["admissionWebhooks"]["enabled"] is True
    # kind's node label and control-plane toleration are gone: any worker may run it.
    assert "ingress-ready" not in controller.get("nodeSelector", {})
    assert not controller.get("tolerations")
    assert controller["replicaCount"] >= 2


def test_gateway_serves_tls_on_the_shop_host() -> None:
    docs = render_case(CASE)
    ingresses = of_kind(docs, "Ingress")
    assert ingresses
    host = production()["gateway"]["host"]
    assert host
    for ingress in ingresses:
        assert [rule["host"] for rule in ingress["spec"]["rules"]] == [host]
        assert ingress["spec"]["tls"] == [{"hosts": [host], "secretName": production()["gateway"]["tls"]["secretName"]}]


def test_replicas_resources_and_persistence() -> None:
    docs = render_case(CASE)
    hpas = {h["spec"]["scaleTargetRef"]["name"]: h for h in of_kind(docs, "HorizontalPodAutoscaler")}
    for deployment in of_kind(docs, "Deployment"):
        name = deployment["metadata"]["name"]
        # An HPA's minimum stands for the replica count the Deployment then leaves out.
        least = hpas[name]["spec"]["minReplicas"] if name in hpas else deployment["spec"]["replicas"]
        assert least >= 2, name
        for container in deployment["spec"]["template"]["spec"]["containers"]:
            assert container["resources"]["limits"]["memory"] not in ("256Mi",), name
    assert {d["metadata"]["labels"]["app.kubernetes.io/name"] for d in of_kind(docs, "Deployment")} >= set(SERVICES)
    [pool] = of_kind(docs, "KafkaNodePool")
    assert pool["spec"]["replicas"] == 3
    assert pool["spec"]["storage"]["type"] == "jbod"
    assert all(v["type"] == "persistent-claim" for v in pool["spec"]["storage"]["volumes"])
    values = production()
    assert values["postgres"]["persistence"]["size"] not in ("1Gi", None)
    assert values["kafka"]["replicationFactor"] == 3


def test_no_development_shortcuts_left() -> None:
    values = production()
    kps = values["kube-prometheus-stack"]
    for component in ("kubeControllerManager", "kubeScheduler", "kubeEtcd", "kubeProxy"):
        assert kps[component]["enabled"] is True, component
    assert kps["grafana"]["service"]["type"] == "ClusterIP"
    assert "nodePort" not in kps["grafana"]["service"]
    assert kps["prometheus"]["service"]["type"] == "ClusterIP"
    assert "nodePort" not in kps["prometheus"]["service"]
    # No password in a values file: Grafana's admin login comes from a Secret.
    assert "adminPassword" not in kps["grafana"]
    assert kps["grafana"]["admin"]["existingSecret"]


def test_values_kind_file_is_gone() -> None:
    assert not (ROOT / "charts" / "umbrella" / "values-kind.yaml").exists()
