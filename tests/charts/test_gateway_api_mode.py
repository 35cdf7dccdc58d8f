"""In Gateway API mode (gateway.api: gatewayapi) the Gateway's implementation is the one entry
point: ingress-nginx must be off (a helm dependency condition is a plain value, so the values
schema and the render enforce it), and the services' NetworkPolicies admit the Gateway's data-plane
pods (global.serviceDefaults.networkPolicy.gateway: their namespace and labels), not ingress-nginx."""

from __future__ import annotations

import pytest
import yaml
from chartlib import SERVICES, VALUES, of_kind, render_case, template

GATEWAY_VALUES = yaml.safe_load((VALUES / "gatewayapi.yaml").read_text())
GATEWAYAPI_ONLY = ["--set", "gateway.api=gatewayapi", "--set", "gateway.gatewayApi.gatewayClassName=eg"]
ENVOY = [
    "--set",
    "global.serviceDefaults.networkPolicy.gateway.namespace=envoy-gateway-system",
    "--set",
    "global.serviceDefaults.networkPolicy.gateway.podLabels.app\\.kubernetes\\.io/name=envoy",
]


def test_gatewayapi_mode_with_ingress_nginx_on_fails_the_render() -> None:
    proc = template("umbrella", [*GATEWAYAPI_ONLY, *ENVOY], expect_ok=False)
    assert proc.returncode != 0
    assert "ingress-nginx" in proc.stderr
    assert "/ingress-nginx/enabled" in proc.stderr or "set ingress-nginx.enabled=false" in proc.stderr, proc.stderr


def test_gatewayapi_mode_admitting_ingress_nginx_pods_fails_the_render() -> None:
    proc = template("umbrella", [*GATEWAYAPI_ONLY, "--set", "ingress-nginx.enabled=false"], expect_ok=False)
    assert proc.returncode != 0
    assert "global.serviceDefaults.networkPolicy.gateway" in proc.stderr, proc.stderr


def test_gatewayapi_values_turn_the_ingress_controller_off() -> None:
    assert GATEWAY_VALUES["gateway"]["api"] == "gatewayapi"
    assert GATEWAY_VALUES["ingress-nginx"]["enabled"] is False


@pytest.mark.parametrize("service", SERVICES)
def test_network_policy_admits_the_gateway_data_plane_only(service: str) -> None:
    gateway = GATEWAY_VALUES["global"]["serviceDefaults"]["networkPolicy"]["gateway"]
    policies = {p["metadata"]["name"]: p for p in of_kind(render_case("umbrella-gatewayapi"), "NetworkPolicy")}
    policy = policies[f"musiccorp-{service}"]
    peers = [peer for rule in policy["spec"]["ingress"] for peer in rule["from"]]
    assert {
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": gateway["namespace"]}},
        "podSelector": {"matchLabels": gateway["podLabels"]},
    } in peers
    admitted = [p.get("podSelector", {}).get("matchLabels", {}).get("app.kubernetes.io/name") for p in peers]
    assert "ingress-nginx" not in admitted
