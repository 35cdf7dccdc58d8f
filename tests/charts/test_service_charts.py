"""Each service chart renders what the contract says about that service: its port, a consumer
Deployment for the four that consume events, <PEER>_URL for the services it calls, and a
NetworkPolicy that lets in exactly its callers (plus the gateway controller and Prometheus)."""

from __future__ import annotations

import pytest
from chartlib import SERVICES, of_kind, render_case

PORTS = dict(zip(SERVICES, range(5001, 5006), strict=True))
CONSUMERS = {"inventory", "order", "payment", "shipping"}
PEERS = {
    "order": {"CATALOG_URL": "http://musiccorp-catalog:5001", "INVENTORY_URL": "http://musiccorp-inventory:5002"},
    # The reservation sweeper asks order whether an unconfirmed reservation's order exists.
    "inventory": {"ORDER_URL": "http://musiccorp-order:5003"},
}
CLIENTS = {"catalog": {"order"}, "inventory": {"order"}, "order": {"inventory"}}


def named(kind: str, name: str) -> dict:
    [doc] = [d for d in of_kind(render_case("umbrella-default"), kind) if d["metadata"]["name"] == name]
    return doc


@pytest.mark.parametrize("service", SERVICES)
def test_port_per_contract(service: str) -> None:
    svc = named("Service", f"musiccorp-{service}")
    assert [(p["name"], p["port"]) for p in svc["spec"]["ports"]] == [("http", PORTS[service])]
    web = named("Deployment", f"musiccorp-{service}")["spec"]["template"]["spec"]["containers"][0]
    assert web["ports"][0]["containerPort"] == PORTS[service]


@pytest.mark.parametrize("service", SERVICES)
def test_consumer_deployment_for_consuming_services(service: str) -> None:
    names = {d["metadata"]["name"] for d in of_kind(render_case("umbrella-default"), "Deployment")}
    assert (f"musiccorp-{service}-consumer" in names) == (service in CONSUMERS)
    if service not in CONSUMERS:
        return
    [c] = named("Deployment", f"musiccorp-{service}-consumer")["spec"]["template"]["spec"]["containers"]
    assert c["command"] == ["python", "manage.py", "consume"]
    port = next(e["value"] for e in c["env"] if e["name"] == "EVENTS_CONSUMER_HEALTH_PORT")
    assert c["ports"] == [{"name": "health", "containerPort": int(port), "protocol": "TCP"}]
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert c[probe]["httpGet"]["port"] == "health", probe


@pytest.mark.parametrize("service", SERVICES)
def test_peer_urls(service: str) -> None:
    data = named("ConfigMap", f"musiccorp-{service}")["data"]
    urls = {k: v for k, v in data.items() if k.endswith("_URL")}
    assert urls == PEERS.get(service, {})
    for url in urls.values():
        host = url.split("//")[1].split(":")[0]
        assert named("Service", host)


def allowed_sources(policy: dict) -> set[str]:
    """app.kubernetes.io/name of every pod allowed in on the service port."""
    port = policy["spec"]["ingress"][0]["ports"][0]["port"]
    names = set()
    for rule in policy["spec"]["ingress"]:
        if any(p["port"] == port for p in rule["ports"]):
            names |= {peer["podSelector"]["matchLabels"]["app.kubernetes.io/name"] for peer in rule["from"]}
    return names


@pytest.mark.parametrize("service", SERVICES)
def test_network_policy_clients(service: str) -> None:
    policy = named("NetworkPolicy", f"musiccorp-{service}")
    assert allowed_sources(policy) == {"ingress-nginx", "prometheus"} | CLIENTS.get(service, set())
    egress_names = {
        peer["podSelector"]["matchLabels"].get("app.kubernetes.io/name")
        for rule in policy["spec"]["egress"]
        for peer in rule.get("to", [])
    }
    for peer in PEERS.get(service, {}):
        assert peer.removesuffix("_URL").lower() in egress_names
