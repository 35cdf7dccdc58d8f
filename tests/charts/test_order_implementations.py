"""order.implementations (issue 13): the Django order, order-go (the Go implementation on 5006), or
both. Rendered with each setting; the render matrix (chartlib.CASES: umbrella-order-go,
umbrella-order-both) also puts these renders through the schema and workload-policy tests."""

from __future__ import annotations

import pytest
from chartlib import BUNDLED_VALUES, VALUES, of_kind, parse, render_bundled, render_case, template

SETTINGS = {"python": "umbrella-default", "go": "umbrella-order-go", "both": "umbrella-order-both"}


def names(docs: tuple[dict, ...], kind: str) -> set[str]:
    return {d["metadata"]["name"] for d in of_kind(docs, kind)}


def named(docs: tuple[dict, ...], kind: str, name: str) -> dict:
    [doc] = [d for d in of_kind(docs, kind) if d["metadata"]["name"] == name]
    return doc


def env(container: dict) -> dict[str, dict]:
    return {e["name"]: e for e in container["env"]}


@pytest.mark.parametrize(("setting", "django", "go"), [("python", True, False), ("go", False, True), ("both", True, True)])
def test_workloads_per_setting(setting: str, django: bool, go: bool) -> None:
    docs = render_case(SETTINGS[setting])
    deployments = names(docs, "Deployment")
    assert ("musiccorp-order" in deployments) == django
    assert ("musiccorp-order-consumer" in deployments) == django
    assert ("musiccorp-order-go" in deployments) == go
    assert ("musiccorp-order-go" in names(docs, "Service")) == go
    assert ("musiccorp-order-go" in names(docs, "NetworkPolicy")) == go
    # The Django project owns the schema: its migration Job runs whichever implementation serves.
    assert any(n.startswith("musiccorp-order-migrate-") for n in names(docs, "Job"))
    # What watches the Django pods goes with them.
    assert ("musiccorp-order" in names(docs, "PodDisruptionBudget")) == django
    assert ("musiccorp-order" in names(docs, "ServiceMonitor")) == django


@pytest.mark.parametrize("setting", ["go", "both"])
def test_order_go_deployment(setting: str) -> None:
    docs = render_case(SETTINGS[setting])
    deployment = named(docs, "Deployment", "musiccorp-order-go")
    pod = deployment["spec"]["template"]["spec"]
    [c] = pod["containers"]
    assert c["name"] == "order-go"
    assert c["image"].split(":")[0].endswith("musiccorp/order-go")
    assert c["ports"] == [{"name": "http", "containerPort": 5006, "protocol": "TCP"}]
    assert c["readinessProbe"]["httpGet"]["path"] == "/health/ready"
    assert c["livenessProbe"]["httpGet"]["path"] == "/health/live"
    assert {c[p]["httpGet"]["port"] for p in ("startupProbe", "readinessProbe", "livenessProbe")} == {"http"}
    e = env(c)
    assert e["ORDER_GO_PORT"]["value"] == "5006"
    assert "consumer" in e["ORDER_GO_WORKERS"]["value"].split(",")
    assert "EVENTS_SCHEMA_DIR" not in e  # the image's own path to the schemas stays in force
    sc = c["securityContext"]
    assert sc["readOnlyRootFilesystem"] is True
    assert sc["runAsNonRoot"] is True
    assert sc["runAsUser"] == 10001
    assert sc["allowPrivilegeEscalation"] is False
    assert sc["capabilities"]["drop"] == ["ALL"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    # It waits for the Django migrations (order-go refuses a schema it does not know).
    assert [i["name"] for i in pod["initContainers"]] == ["wait-for-migrations"]
    # Grace period: preStop sleep + ORDER_GO_SHUTDOWN_SECONDS + the margin.
    assert pod["terminationGracePeriodSeconds"] == 5 + int(e["ORDER_GO_SHUTDOWN_SECONDS"]["value"]) + 5
    # Its pods are order's pods to the other services' and the brokers' policies.
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert labels["app.kubernetes.io/name"] == "order"
    assert labels["app.kubernetes.io/component"] == "order-go"


def test_order_go_shares_the_django_orders_credentials() -> None:
    """Same database Secret, service token and Kafka credentials: one service, two implementations."""
    docs = render_case(SETTINGS["both"])
    [go] = named(docs, "Deployment", "musiccorp-order-go")["spec"]["template"]["spec"]["containers"]
    [consumer] = named(docs, "Deployment", "musiccorp-order-consumer")["spec"]["template"]["spec"]["containers"]
    shared = ("DATABASE_URL", "DJANGO_SECRET_KEY", "SERVICE_TOKEN", "KAFKA_SASL_PASSWORD")
    for key in shared:
        assert env(go)[key]["valueFrom"] == env(consumer)[key]["valueFrom"], key
    assert go["envFrom"] == consumer["envFrom"]  # KAFKA_BOOTSTRAP_SERVERS, KAFKA_SASL_USERNAME, peers
    config = named(docs, "ConfigMap", go["envFrom"][0]["configMapRef"]["name"])["data"]
    assert config["KAFKA_SASL_USERNAME"] == "musiccorp-kafka-order"
    assert config["CATALOG_URL"] == "http://musiccorp-catalog:5001"


@pytest.mark.parametrize(("setting", "component"), [("python", "web"), ("go", "order-go"), ("both", "web")])
def test_order_service_selects_who_serves(setting: str, component: str) -> None:
    """/api/orders and inventory's calls reach <release>-order on 5003; with only go, order-go answers there."""
    svc = named(render_case(SETTINGS[setting]), "Service", "musiccorp-order")
    assert svc["spec"]["selector"]["app.kubernetes.io/component"] == component
    assert svc["spec"]["ports"] == [{"name": "http", "port": 5003, "targetPort": "http", "protocol": "TCP"}]


@pytest.mark.parametrize("setting", ["go", "both"])
def test_order_go_service_and_network_policy(setting: str) -> None:
    docs = render_case(SETTINGS[setting])
    svc = named(docs, "Service", "musiccorp-order-go")
    assert svc["spec"]["ports"] == [{"name": "http", "port": 5006, "targetPort": "http", "protocol": "TCP"}]
    pod_labels = named(docs, "Deployment", "musiccorp-order-go")["spec"]["template"]["metadata"]["labels"]
    assert svc["spec"]["selector"].items() <= pod_labels.items()
    policy = named(docs, "NetworkPolicy", "musiccorp-order-go")
    assert policy["spec"]["podSelector"]["matchLabels"].items() <= pod_labels.items()
    [rule] = policy["spec"]["ingress"]
    assert rule["ports"] == [{"port": 5006, "protocol": "TCP"}]
    sources = {p["podSelector"]["matchLabels"]["app.kubernetes.io/name"] for p in rule["from"]}
    assert sources == {"ingress-nginx", "prometheus", "inventory"}
    # The service's own policy selects the order-go pods too and gives them their egress.
    own = named(docs, "NetworkPolicy", "musiccorp-order")
    assert own["spec"]["podSelector"]["matchLabels"].items() <= pod_labels.items()
    egress = {
        p["podSelector"]["matchLabels"].get("app.kubernetes.io/name") for r in own["spec"]["egress"] for p in r.get("to", [])
    }
    assert {"catalog", "inventory"} <= egress


@pytest.mark.parametrize(("setting", "routed"), [("python", False), ("go", True), ("both", True)])
def test_gateway_route_to_order_go(setting: str, routed: bool) -> None:
    ingresses = {d["metadata"]["name"]: d for d in of_kind(render_case(SETTINGS[setting]), "Ingress")}
    assert ("musiccorp-gateway-order-go" in ingresses) == routed
    assert "musiccorp-gateway-order" in ingresses  # /api/orders stays, served by whichever runs
    if routed:
        [path] = ingresses["musiccorp-gateway-order-go"]["spec"]["rules"][0]["http"]["paths"]
        assert path["path"].startswith("/api/order-go")
        assert path["backend"]["service"] == {"name": "musiccorp-order-go", "port": {"number": 5006}}


def test_gateway_api_route_to_order_go() -> None:
    docs = parse(template("umbrella", ["-f", str(VALUES / "gatewayapi.yaml"), "-f", str(VALUES / "order-both.yaml")]).stdout)
    route = named(tuple(docs), "HTTPRoute", "musiccorp-gateway-order-go")
    refs = {(b["name"], b["port"]) for rule in route["spec"]["rules"] for b in rule["backendRefs"]}
    assert refs == {("musiccorp-order-go", 5006)}


@pytest.mark.parametrize(("setting", "routed"), [("python", False), ("go", True)])
def test_bundled_gateway_route_and_egress(setting: str, routed: bool) -> None:
    extra = [] if setting == "python" else ["-f", str(VALUES / "order-go.yaml")]
    docs = render_bundled(*extra)
    conf = next(d for d in of_kind(docs, "ConfigMap") if "nginx.conf" in d.get("data", {}))["data"]["nginx.conf"]
    assert ("proxy_pass http://musiccorp-order-go.musiccorp.svc:5006;" in conf) == routed
    if not routed:
        assert "service not deployed: order-go" in conf
    gateway = next(
        d
        for d in of_kind(docs, "NetworkPolicy")
        if d["spec"]["podSelector"]["matchLabels"].get("app.kubernetes.io/name") == "gateway"
    )
    to_order_go = [
        r
        for r in gateway["spec"]["egress"]
        for p in r.get("to", [])
        if p.get("podSelector", {}).get("matchLabels", {}).get("app.kubernetes.io/component") == "order-go"
    ]
    assert bool(to_order_go) == routed
    if routed:
        assert to_order_go[0]["ports"] == [{"port": 5006, "protocol": "TCP"}]
        assert to_order_go[0]["to"][0]["podSelector"]["matchLabels"]["app.kubernetes.io/name"] == "order"
        # ... and order-go's own policy lets the gateway pods in on 5006.
        [gw] = [d for d in of_kind(docs, "Deployment") if d["metadata"]["name"] == "musiccorp-gateway"]
        gw_labels = gw["spec"]["template"]["metadata"]["labels"]
        [rule] = named(docs, "NetworkPolicy", "musiccorp-order-go")["spec"]["ingress"]
        assert any(p["podSelector"]["matchLabels"].items() <= gw_labels.items() for p in rule["from"])


@pytest.mark.parametrize("bad", ["{rust}", "null", "[]"])
def test_unknown_or_empty_implementations_fail_the_render(bad: str) -> None:
    args = ["-f", str(BUNDLED_VALUES), "--set-json" if bad == "[]" else "--set", f"order.implementations={bad}"]
    proc = template("umbrella", args, expect_ok=False)
    assert proc.returncode != 0
    assert "implementations" in proc.stderr
