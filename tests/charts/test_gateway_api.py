"""The Gateway API form of the gateway (gateway.api: gatewayapi): one HTTPRoute per route of the
table, forwarding only the service's known path prefixes with the gateway prefix stripped, so
/metrics (and /admin outside admin routes) matches nothing; one value switches the two forms."""

from __future__ import annotations

import pytest
import yaml
from chartlib import ROOT, VALUES, of_kind, parse, render_case, template

GATEWAYAPI = ["-f", str(VALUES / "gatewayapi.yaml")]


def routes() -> list[dict]:
    return yaml.safe_load((ROOT / "charts" / "umbrella" / "values.yaml").read_text())["gateway"]["routes"]


def prefix_matches(prefix: str, path: str) -> bool:
    """Gateway API PathPrefix: element-wise, so /a/b matches /a/b and /a/b/c but not /a/bc."""
    path = path.split("?")[0]
    return path == prefix or path.startswith(prefix.rstrip("/") + "/")


def forward(docs: tuple[dict, ...], request: str, method: str = "GET") -> tuple[str, int, str, str] | None:
    """(backend, port, path the service sees, X-Forwarded-Prefix) for a request, or None (404).
    Among matching rules the longest prefix wins, as the spec orders them; a match with a
    `method` matches only that method."""
    candidates = []
    for route in of_kind(docs, "HTTPRoute"):
        for rule in route["spec"]["rules"]:
            for match in rule["matches"]:
                value = match["path"]["value"]
                assert match["path"]["type"] == "PathPrefix"
                if prefix_matches(value, request) and match.get("method", method) == method:
                    candidates.append((len(value), value, rule))
    if not candidates:
        return None
    _, value, rule = max(candidates, key=lambda c: c[0])
    filters = {f["type"]: f for f in rule["filters"]}
    replacement = filters["URLRewrite"]["urlRewrite"]["path"]["replacePrefixMatch"]
    [header] = filters["RequestHeaderModifier"]["requestHeaderModifier"]["set"]
    [backend] = rule["backendRefs"]
    rest = request[len(value) :]
    return backend["name"], backend["port"], replacement + rest, header["value"]


def test_switch_renders_one_form_only() -> None:
    ingress_docs, gateway_docs = render_case("umbrella-default"), render_case("umbrella-gatewayapi")
    assert of_kind(ingress_docs, "Ingress")
    assert not of_kind(ingress_docs, "HTTPRoute")
    assert of_kind(gateway_docs, "HTTPRoute")
    assert not of_kind(gateway_docs, "Ingress")


def test_every_route_of_the_table_renders_and_attaches_to_the_gateway() -> None:
    docs = render_case("umbrella-gatewayapi")
    [gateway] = of_kind(docs, "Gateway")
    assert gateway["spec"]["gatewayClassName"] == "eg"
    http_routes = of_kind(docs, "HTTPRoute")
    assert len(http_routes) == len([r for r in routes() if not r.get("implements")])
    for route in http_routes:
        assert route["apiVersion"] == "gateway.networking.k8s.io/v1"
        assert route["spec"]["parentRefs"] == [
            {"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": gateway["metadata"]["name"], "sectionName": "http"}
        ]


@pytest.mark.parametrize(
    ("request_path", "expected"),
    [
        ("/api/catalog/albums", ("musiccorp-catalog", 5001, "/albums", "/api/catalog")),
        ("/api/catalog/albums/CD001?x=1", ("musiccorp-catalog", 5001, "/albums/CD001?x=1", "/api/catalog")),
        ("/api/inventory/stock/CD001/reserve", ("musiccorp-inventory", 5002, "/stock/CD001/reserve", "/api/inventory")),
        ("/api/orders/orders/42", ("musiccorp-order", 5003, "/orders/42", "/api/orders")),
        ("/api/orders/admin/", ("musiccorp-order", 5003, "/admin/", "/api/orders")),
        ("/api/orders/static/admin/css/base.css", ("musiccorp-order", 5003, "/static/admin/css/base.css", "/api/orders")),
        ("/api/payments/payments?order_id=1", ("musiccorp-payment", 5004, "/payments?order_id=1", "/api/payments")),
        ("/api/shipping/shipments/7", ("musiccorp-shipping", 5005, "/shipments/7", "/api/shipping")),
        ("/api/shipping/health/ready", ("musiccorp-shipping", 5005, "/health/ready", "/api/shipping")),
        ("/api/catalog/docs", ("musiccorp-catalog", 5001, "/docs", "/api/catalog")),
    ],
)
def test_api_paths_are_forwarded_without_the_prefix(request_path: str, expected: tuple) -> None:
    assert forward(render_case("umbrella-gatewayapi"), request_path) == expected


@pytest.mark.parametrize("route", routes(), ids=lambda r: r["service"])
def test_metrics_and_foreign_admin_are_not_routed(route: dict) -> None:
    docs = render_case("umbrella-gatewayapi")
    prefix = route["prefix"]
    assert forward(docs, f"{prefix}/metrics") is None
    assert forward(docs, f"{prefix}/albumsx") is None
    assert forward(docs, "/metrics") is None
    admin = forward(docs, f"{prefix}/admin/")
    assert (admin is not None) == route["admin"]


def test_existing_gateway_as_parent() -> None:
    args = [*GATEWAYAPI, "--set", "gateway.gatewayApi.createGateway=false", "--set", "gateway.gatewayApi.parentRef.name=shared"]
    docs = parse(template("umbrella", args).stdout)
    assert not of_kind(docs, "Gateway")
    shared = {"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "shared"}
    assert all(r["spec"]["parentRefs"] == [shared] for r in of_kind(docs, "HTTPRoute"))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--set", "gateway.gatewayApi.gatewayClassName="], "gateway.gatewayApi.gatewayClassName is required"),
        (["--set", "gateway.gatewayApi.createGateway=false"], "gateway.gatewayApi.parentRef.name is required"),
        (["--set", "gateway.routes[0].paths[0]=/metrics"], "/gateway/routes/0/paths/0"),
        (["--set", "gateway.api=istio"], "value must be one of 'ingress', 'gatewayapi'"),
    ],
)
def test_bad_gateway_values_fail_readably(args: list[str], message: str) -> None:
    proc = template("umbrella", [*GATEWAYAPI, *args], expect_ok=False)
    assert proc.returncode != 0
    assert message in proc.stderr, proc.stderr


INVENTORY_WRITES = ["/api/inventory/stock/CD001", "/api/inventory/stock/CD001/reserve", "/api/inventory/stock/CD001/release"]


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
@pytest.mark.parametrize("request_path", INVENTORY_WRITES)
def test_inventory_writes_match_no_rule(method: str, request_path: str) -> None:
    """Inventory is read-only from outside (issue 8): its rules match GET and HEAD only."""
    docs = render_case("umbrella-gatewayapi")
    assert forward(docs, request_path, method) is None
    for read in ("GET", "HEAD"):
        expected = ("musiccorp-inventory", 5002, "/stock/CD001", "/api/inventory")
        assert forward(docs, "/api/inventory/stock/CD001", read) == expected


def test_routes_without_methods_match_every_method() -> None:
    docs = render_case("umbrella-gatewayapi")
    assert forward(docs, "/api/orders/orders", "POST") == ("musiccorp-order", 5003, "/orders", "/api/orders")
