"""The other ways the umbrella is installed, each on the real API server through the same life as the
default one: install with every rollout and Job, apply by a second field manager, upgrade rolling
exactly what changed, roll back, uninstall leaving nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from clusterlib import (
    VALUES,
    Cluster,
    Variant,
    assert_everything_rolled_out,
    create_restricted_namespace,
    deployments,
    helm_install,
    rollback_and_assert_first_revision,
    rollout_complete,
    server_side_apply_conflicts,
    uninstall_and_assert_nothing_left,
    upgrade_and_assert_only_rolled,
    wait_until,
)

GATEWAY_API = Variant("gatewayapi", ["-f", str(VALUES / "gatewayapi.yaml")])
AUTOSCALING = Variant("autoscaling", ["--set", "global.serviceDefaults.autoscaling.enabled=true"])
# The library's default autoscaling.minReplicas: the HPA controller scales each web Deployment up to it.
MIN_REPLICAS = 2
# One value of catalog alone (catalog has no consumer): only musiccorp-catalog may roll.
CHANGE = ["--set", "catalog.django.logLevel=DEBUG"]
WEB = ["musiccorp-catalog", "musiccorp-inventory", "musiccorp-order", "musiccorp-payment", "musiccorp-shipping"]


@pytest.fixture
def installed(cluster: Cluster, crds: list[str], umbrella: Path, request: pytest.FixtureRequest):
    variant: Variant = request.param
    create_restricted_namespace(cluster, variant.namespace)
    cluster.progress(f"helm install ({variant.name}) into {variant.namespace}")
    helm_install(cluster, umbrella, variant)
    yield variant
    cluster.progress(f"helm uninstall ({variant.name})")
    uninstall_and_assert_nothing_left(cluster, variant.namespace)


@pytest.mark.parametrize("installed", [GATEWAY_API], indirect=True, ids=["gatewayapi"])
def test_gateway_api_variant(cluster: Cluster, umbrella: Path, installed: Variant) -> None:
    ns = installed.namespace
    assert_everything_rolled_out(cluster, ns)
    routes = cluster.get("httproutes.gateway.networking.k8s.io", "-n", ns)
    gateways = cluster.get("gateways.gateway.networking.k8s.io", "-n", ns)
    assert routes, "no HTTPRoute admitted"
    assert gateways or all(r["spec"].get("parentRefs") for r in routes)
    assert not cluster.get("ingresses", "-n", ns), "Ingresses rendered in Gateway API mode"
    conflicts = server_side_apply_conflicts(cluster, ns)
    assert not conflicts, conflicts
    installed_templates = {name: d["spec"]["template"] for name, d in deployments(cluster, ns).items()}
    upgrade_and_assert_only_rolled(cluster, umbrella, installed, CHANGE, ["musiccorp-catalog"])
    rollback_and_assert_first_revision(cluster, installed, installed_templates)


@pytest.mark.parametrize("installed", [AUTOSCALING], indirect=True, ids=["autoscaling"])
def test_autoscaling_variant(cluster: Cluster, umbrella: Path, installed: Variant) -> None:
    ns = installed.namespace
    assert_everything_rolled_out(cluster, ns)
    hpas = {h["spec"]["scaleTargetRef"]["name"] for h in cluster.get("horizontalpodautoscalers", "-n", ns)}
    assert hpas == set(WEB)

    def scaled_up() -> bool:
        deps = deployments(cluster, ns)
        return all(deps[name]["spec"].get("replicas") == MIN_REPLICAS for name in WEB)

    wait_until(f"the HPAs to scale the web Deployments to {MIN_REPLICAS}", scaled_up, timeout=60)
    wait_until("the scaled rollouts", lambda: all(rollout_complete(d) for d in deployments(cluster, ns).values()), timeout=60)
    conflicts = server_side_apply_conflicts(cluster, ns)
    assert not conflicts, conflicts
    installed_templates = {name: d["spec"]["template"] for name, d in deployments(cluster, ns).items()}
    upgrade_and_assert_only_rolled(cluster, umbrella, installed, CHANGE, ["musiccorp-catalog"])
    rollback_and_assert_first_revision(cluster, installed, installed_templates)
