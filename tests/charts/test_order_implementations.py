"""order.implementations (issue 13): the Django order, order-go (the Go implementation on 5006), or
both. Rendered with each setting; the render matrix (chartlib.CASES: umbrella-order-go,
umbrella-order-both) also puts these renders through the schema and workload-policy tests."""

from __future__ import annotations

import re

import jsonschema
import pytest
from chartlib import BUNDLED_VALUES, MONITORING_API, VALUES, crd_schema, of_kind, parse, render_bundled, render_case, template

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


def job_metrics(docs: tuple[dict, ...]) -> dict[str, set[str]]:
    """job -> the metrics the order service's alert rules read under that job (metric{job="..."})."""
    [rule] = [d for d in of_kind(docs, "PrometheusRule") if d["metadata"]["name"] == "musiccorp-order"]
    selected: dict[str, set[str]] = {}
    for group in rule["spec"]["groups"]:
        for r in group["rules"]:
            for metric, job in re.findall(r'([a-z_:]+)\{job="([^"]+)"', r["expr"]):
                selected.setdefault(job, set()).add(metric)
    return selected


def passes(endpoint: dict, metric: str) -> bool:
    """Whether a scrape endpoint's metricRelabelings (keep/drop on __name__) let metric through."""
    for relabel in endpoint.get("metricRelabelings", []):
        assert relabel["sourceLabels"] == ["__name__"]
        matched = re.fullmatch(relabel["regex"], metric) is not None
        if matched != (relabel["action"] == "keep"):
            return False
    return True


def job_of(endpoint: dict) -> str:
    [replace] = [r for r in endpoint["relabelings"] if r.get("targetLabel") == "job"]
    assert replace["action"] == "replace"
    return replace["replacement"]


@pytest.mark.parametrize(("setting", "django", "go"), [("python", True, False), ("go", False, True), ("both", True, True)])
def test_monitors_per_setting(setting: str, django: bool, go: bool) -> None:
    """order-go is scraped whenever it runs; the library's monitors go with the Django pods."""
    docs = render_case(SETTINGS[setting])
    assert ("musiccorp-order" in names(docs, "ServiceMonitor")) == django
    assert ("musiccorp-order-consumer" in names(docs, "PodMonitor")) == django
    assert ("musiccorp-order-go" in names(docs, "ServiceMonitor")) == go
    assert ("musiccorp-order-go" in names(docs, "PodMonitor")) == go
    assert "musiccorp-order" in names(docs, "PrometheusRule")


@pytest.mark.parametrize("setting", ["go", "both"])
def test_order_go_monitors_select_its_pods_and_port(setting: str) -> None:
    docs = render_case(SETTINGS[setting])
    deployment = named(docs, "Deployment", "musiccorp-order-go")
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    [container] = deployment["spec"]["template"]["spec"]["containers"]
    sm, pm = named(docs, "ServiceMonitor", "musiccorp-order-go"), named(docs, "PodMonitor", "musiccorp-order-go")
    for monitor in (sm, pm):
        assert monitor["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
        assert monitor["spec"]["namespaceSelector"] == {"matchNames": ["musiccorp"]}
        assert monitor["metadata"]["labels"]["release"] == "musiccorp"  # kube-prometheus-stack's selector
    # The PodMonitor names a container port; the ServiceMonitor a port of the Services it selects.
    [pm_endpoint] = pm["spec"]["podMetricsEndpoints"]
    assert (pm_endpoint["port"], pm_endpoint["path"]) == ("http", "/metrics")
    assert {"name": "http", "containerPort": 5006, "protocol": "TCP"} in container["ports"]
    [sm_endpoint] = sm["spec"]["endpoints"]
    assert (sm_endpoint["port"], sm_endpoint["path"]) == ("http", "/metrics")
    selected = [
        s for s in of_kind(docs, "Service") if sm["spec"]["selector"]["matchLabels"].items() <= s["metadata"]["labels"].items()
    ]
    # With go alone <release>-order selects order-go too; the keep relabelling leaves one Service,
    # so each pod is one target and no request is counted twice.
    assert {s["metadata"]["name"] for s in selected} == (
        {"musiccorp-order", "musiccorp-order-go"} if setting == "go" else {"musiccorp-order-go"}
    )
    [keep] = [r for r in sm_endpoint["relabelings"] if r["action"] == "keep"]
    assert keep["sourceLabels"] == ["__meta_kubernetes_service_name"]
    [kept] = [s for s in selected if re.fullmatch(keep["regex"], s["metadata"]["name"])]
    assert kept["metadata"]["name"] == "musiccorp-order-go"
    assert "http" in {p["name"] for p in kept["spec"]["ports"]}
    assert kept["spec"]["selector"].items() <= pod_labels.items()


@pytest.mark.parametrize("setting", ["go", "both"])
def test_order_go_series_reach_the_jobs_the_alert_rules_select(setting: str) -> None:
    """Every metric an order alert reads under a job is scraped from order-go under that job, and
    each of order-go's series goes to one job only (the split by name of the local stack)."""
    docs = render_case(SETTINGS[setting])
    endpoints = [
        *named(docs, "ServiceMonitor", "musiccorp-order-go")["spec"]["endpoints"],
        *named(docs, "PodMonitor", "musiccorp-order-go")["spec"]["podMetricsEndpoints"],
    ]
    by_job = {job_of(e): e for e in endpoints}
    rules = job_metrics(docs)
    assert by_job.keys() == rules.keys() == {"musiccorp-order", "musiccorp-order-consumer"}
    for job, metrics in rules.items():
        for metric in metrics:
            assert passes(by_job[job], metric), (job, metric)
            others = [j for j, e in by_job.items() if j != job and passes(e, metric)]
            assert not others, (metric, others)
    # order-go's series, as it names them (services/order-go): each in exactly one job.
    for metric in (
        "django_http_responses_total_by_status_view_method_total",
        "musiccorp_orders_stuck",
        "musiccorp_orders_total",
        "go_goroutines",
    ):
        assert sum(passes(e, metric) for e in endpoints) == 1, metric


@pytest.mark.parametrize("setting", ["go", "both"])
def test_order_go_monitors_match_the_crd_schemas(setting: str) -> None:
    docs = render_case(SETTINGS[setting])
    for kind in ("ServiceMonitor", "PodMonitor"):
        doc = named(docs, kind, "musiccorp-order-go")
        schema = crd_schema(doc["apiVersion"], kind)
        errors = [e.message for e in jsonschema.validators.validator_for(schema)(schema).iter_errors(doc)]
        assert not errors, (kind, errors)


@pytest.mark.parametrize(
    ("switch", "kind"), [("metrics.serviceMonitor.enabled", "ServiceMonitor"), ("metrics.podMonitor.enabled", "PodMonitor")]
)
def test_order_go_monitors_follow_the_library_switches(switch: str, kind: str) -> None:
    args = ["-f", str(VALUES / "order-go.yaml"), *MONITORING_API, "--set", f"order.{switch}=false"]
    docs = tuple(parse(template("umbrella", args).stdout))
    assert "musiccorp-order-go" not in names(docs, kind)
    other = "PodMonitor" if kind == "ServiceMonitor" else "ServiceMonitor"
    assert "musiccorp-order-go" in names(docs, other)
    # The order chart on its own (requireCRD) renders neither without the monitoring API, both with it.
    for api, expected in (([], set()), (MONITORING_API, {"musiccorp-order-go"})):
        docs = tuple(parse(template("order", ["--set", "implementations={go}", *api]).stdout))
        assert names(docs, "ServiceMonitor") == expected
        assert names(docs, "PodMonitor") == expected


@pytest.mark.parametrize("setting", ["python", "go", "both"])
def test_pod_not_ready_alert_watches_every_order_deployment(setting: str) -> None:
    """OrderPodNotReady selects pods by their ReplicaSet, "<deployment>-<hash>": order-go's included,
    Job pods (the migration, CronJob runs) not."""
    docs = render_case(SETTINGS[setting])
    [rule] = [d for d in of_kind(docs, "PrometheusRule") if d["metadata"]["name"] == "musiccorp-order"]
    [expr] = [r["expr"] for g in rule["spec"]["groups"] for r in g["rules"] if r.get("alert") == "OrderPodNotReady"]
    [owner] = re.findall(r'owner_name=~"([^"]+)"', expr)
    for deployment in names(docs, "Deployment") & {"musiccorp-order", "musiccorp-order-consumer", "musiccorp-order-go"}:
        assert re.fullmatch(owner, f"{deployment}-7f6c5d9b8"), deployment
    assert re.fullmatch(owner, "musiccorp-order-go-7f6c5d9b8")
    for job in ("musiccorp-order-migrate-2-3fa8c1d2", "musiccorp-order-expire-orders-29412345"):
        assert not re.fullmatch(owner, job), job
