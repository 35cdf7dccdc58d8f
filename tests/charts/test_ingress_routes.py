"""The gateway Ingress follows the contract (restated in docs/api.md): each prefix goes to its
service and port with `<prefix>(/|$)(.*)` rewritten to `/$2`, /metrics is never reachable, /admin
only on admin routes, and only services that exist get a route."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
import yaml
from chartlib import ROOT, VALUES, of_kind, parse, render_case, template


def contract_tables() -> tuple[dict[str, str], dict[str, int]]:
    """(prefix -> service, service -> port) from docs/api.md's gateway table (prefix | service | port)."""
    rows = re.findall(r"^\|\s*(/api/\S+)\s*\|\s*(\w+)\s*\|\s*(\d{4})\s*\|", (ROOT / "docs" / "api.md").read_text(), re.M)
    assert len(rows) == 5, "docs/api.md: the gateway table (external prefix | service | port) has changed shape"
    return {prefix: svc for prefix, svc, _ in rows}, {svc: int(port) for _, svc, port in rows}


def nginx_location(path: str) -> re.Pattern[str]:
    """How ingress-nginx applies a use-regex path: `location ~* ^<path>` (prefix-anchored, any case)."""
    return re.compile("^" + path, re.IGNORECASE)


def rewrite(path: str, request: str) -> str | None:
    """The path the service sees for `request`, or None when the location does not match."""
    m = nginx_location(path).match(request)
    return None if m is None else "/" + m.group(2)


LIMIT_RPM = "nginx.ingress.kubernetes.io/limit-rpm"


def ingress_paths(docs: tuple[dict, ...]) -> list[tuple[dict, dict]]:
    return [(ing, p) for ing in of_kind(docs, "Ingress") for rule in ing["spec"]["rules"] for p in rule["http"]["paths"]]


def route_paths(docs: tuple[dict, ...]) -> list[tuple[dict, dict]]:
    """The paths of the routes' own Ingresses (not the rate-limited paths' Ingresses)."""
    return [(ing, p) for ing, p in ingress_paths(docs) if LIMIT_RPM not in ing["metadata"]["annotations"]]


def blocked_alternatives(route: dict) -> str:
    """What a route's own path leaves out: metrics, admin unless admin, its limited paths."""
    blocked = ["metrics"] + ([] if route["admin"] else ["admin"])
    blocked += [f"{limit['path'].strip('/')}/?$" for limit in route.get("limits", [])]
    return "|".join(blocked)


def test_route_table_matches_the_contract() -> None:
    prefixes, ports = contract_tables()
    routes = service_routes()
    assert {r["prefix"]: r["service"] for r in routes} == prefixes
    assert all(r["port"] == ports[r["service"]] for r in routes)
    assert [r["service"] for r in routes if r["admin"]] == ["order"]


def routes() -> list[dict]:
    return yaml.safe_load((ROOT / "charts" / "umbrella" / "values.yaml").read_text())["gateway"]["routes"]


def service_routes() -> list[dict]:
    """The routes to a service; a route to a second implementation (`implements`: order-go) is
    rendered only while that implementation runs (test_order_implementations.py)."""
    return [r for r in routes() if not r.get("implements")]


@pytest.mark.parametrize("case", ["umbrella-default", "umbrella-values-production", "umbrella-production"])
def test_every_route_renders_to_an_existing_service(case: str) -> None:
    docs = render_case(case)
    backends = {p["backend"]["service"]["name"] for _, p in ingress_paths(docs)}
    assert backends == {f"musiccorp-{r['service']}" for r in service_routes()}
    assert backends <= {s["metadata"]["name"] for s in of_kind(docs, "Service")}


@pytest.mark.parametrize("case", ["umbrella-default", "umbrella-production"])
def test_ingress_rewrites_per_contract(case: str) -> None:
    prefixes, ports = contract_tables()
    by_prefix = {r["prefix"]: r for r in routes()}
    for ing, path in route_paths(render_case(case)):
        prefix = path["path"].split("(")[0]
        service = prefixes[prefix]
        annotations = ing["metadata"]["annotations"]
        assert ing["spec"]["ingressClassName"] == "nginx"
        assert annotations["nginx.ingress.kubernetes.io/use-regex"] == "true"
        assert annotations["nginx.ingress.kubernetes.io/rewrite-target"] == "/$2"
        assert annotations["nginx.ingress.kubernetes.io/x-forwarded-prefix"] == prefix
        assert path["pathType"] == "ImplementationSpecific"
        assert path["path"] == f"{prefix}(/|$)((?!{blocked_alternatives(by_prefix[prefix])}).*)"
        assert path["backend"]["service"]["port"]["number"] == ports[service]
        p = path["path"]
        assert rewrite(p, f"{prefix}/albums") == "/albums"
        assert rewrite(p, f"{prefix}/albums/CD001?x=1") == "/albums/CD001?x=1"
        assert rewrite(p, prefix) == "/"
        assert rewrite(p, f"{prefix}/") == "/"
        assert rewrite(p, f"{prefix}x/albums") is None


def test_no_path_reaches_metrics_or_a_non_admin_admin() -> None:
    admin_prefixes = {r["prefix"] for r in routes() if r["admin"]}
    for case in ("umbrella-default", "umbrella-values-production", "umbrella-production"):
        for _, path in ingress_paths(render_case(case)):
            prefix = path["path"].split("(")[0]
            assert rewrite(path["path"], f"{prefix}/metrics") is None
            assert rewrite(path["path"], "/metrics") is None
        for _, path in route_paths(render_case(case)):
            prefix = path["path"].split("(")[0]
            if prefix in admin_prefixes:
                assert rewrite(path["path"], f"{prefix}/admin/") == "/admin/"
            else:
                assert rewrite(path["path"], f"{prefix}/admin/") is None


def test_admin_route_exposes_admin_but_not_metrics() -> None:
    docs = parse(template("umbrella", ["-f", str(VALUES / "admin-route.yaml")]).stdout)
    [path] = [p for _, p in ingress_paths(docs) if p["path"].startswith("/api/catalog(")]
    assert path["path"] == "/api/catalog(/|$)((?!metrics).*)"
    assert rewrite(path["path"], "/api/catalog/admin/login/") == "/admin/login/"
    assert rewrite(path["path"], "/api/catalog/metrics") is None


def test_disabled_service_gets_no_route() -> None:
    docs = parse(template("umbrella", ["--set", "catalog.enabled=false"]).stdout)
    backends = {p["backend"]["service"]["name"] for _, p in ingress_paths(docs)}
    assert "musiccorp-catalog" not in backends
    assert len(backends) == len(service_routes()) - 1


def _matching(docs: tuple[dict, ...], request: str) -> list[tuple[dict, dict]]:
    return [(ing, p) for ing, p in ingress_paths(docs) if rewrite(p["path"], request) is not None]


@pytest.mark.parametrize("case", ["umbrella-default", "umbrella-production"])
def test_each_rate_limit_has_one_ingress_with_limit_annotations(case: str) -> None:
    docs = render_case(case)
    limited = [(r, lim) for r in routes() for lim in r.get("limits", [])]
    assert {lim["name"] for _, lim in limited} >= {"order_placement", "admin_login"}
    for route, limit in limited:
        service_path = "/" + limit["path"].strip("/")
        for request in (route["prefix"] + service_path, route["prefix"] + service_path + "/"):
            [(ing, path)] = _matching(docs, request)  # exactly one location: the limited one
            annotations = ing["metadata"]["annotations"]
            assert annotations[LIMIT_RPM] == str(limit["rpm"])
            assert int(annotations["nginx.ingress.kubernetes.io/limit-burst-multiplier"]) >= 1
            assert rewrite(path["path"], request) == request.removeprefix(route["prefix"])
        # Neighbouring paths stay on the route's own, unlimited Ingress.
        [(ing, _)] = _matching(docs, f"{route['prefix']}{service_path}/x")
        assert LIMIT_RPM not in ing["metadata"]["annotations"]


def test_every_ingress_caps_the_body_size() -> None:
    size = yaml.safe_load((ROOT / "charts" / "umbrella" / "values.yaml").read_text())["gateway"]["bodySizeLimit"]
    for ing, _ in ingress_paths(render_case("umbrella-default")):
        assert ing["metadata"]["annotations"]["nginx.ingress.kubernetes.io/proxy-body-size"] == size


def test_controller_config_answers_429_and_guards_methods_from_the_route_table() -> None:
    """The global server-snippet is generated (ci/ingress_snippet.py), never hand-edited; snippet
    annotations stay off and no Ingress carries one."""
    values = yaml.safe_load((ROOT / "charts" / "umbrella" / "values.yaml").read_text())["ingress-nginx"]["controller"]
    assert values["allowSnippetAnnotations"] is False
    assert values["config"]["limit-req-status-code"] == "429"
    proc = subprocess.run([sys.executable, str(ROOT / "ci" / "ingress_snippet.py"), "--check"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    snippet = values["config"]["server-snippet"]
    for route in routes():
        if route.get("methods"):
            assert f"^{route['prefix']}(/|$)" in snippet
            assert f"!~ ^({'|'.join(route['methods'])})$" in snippet
    for ing, _ in ingress_paths(render_case("umbrella-default")):
        assert not [a for a in ing["metadata"]["annotations"] if a.endswith("snippet")]


def test_inventory_is_read_only_in_the_route_table() -> None:
    [inventory] = [r for r in routes() if r["service"] == "inventory"]
    assert inventory["methods"] == ["GET", "HEAD"]
