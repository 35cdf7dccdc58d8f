"""The gateway Ingress follows the contract (../shared/spec/contract.md): each prefix goes to its
service and port with `<prefix>(/|$)(.*)` rewritten to `/$2`, /metrics is never reachable, /admin
only on admin routes, and only services that exist get a route."""

from __future__ import annotations

import re

import pytest
import yaml
from chartlib import ROOT, SHARED, VALUES, of_kind, parse, render_case, template


def contract_tables() -> tuple[dict[str, str], dict[str, int]]:
    """(prefix -> service, service -> port) from the contract's markdown tables."""
    text = (SHARED / "spec" / "contract.md").read_text()
    prefixes = dict(re.findall(r"^\|\s*(/api/\S+)\s*\|\s*(\w+)\s*\|", text, re.M))
    ports = {svc: int(port) for svc, port in re.findall(r"^\|\s*(\w+)\s*\|\s*(\d{4})\s*\|", text, re.M)}
    return prefixes, ports


def nginx_location(path: str) -> re.Pattern[str]:
    """How ingress-nginx applies a use-regex path: `location ~* ^<path>` (prefix-anchored, any case)."""
    return re.compile("^" + path, re.IGNORECASE)


def rewrite(path: str, request: str) -> str | None:
    """The path the service sees for `request`, or None when the location does not match."""
    m = nginx_location(path).match(request)
    return None if m is None else "/" + m.group(2)


def ingress_paths(docs: tuple[dict, ...]) -> list[tuple[dict, dict]]:
    return [(ing, p) for ing in of_kind(docs, "Ingress") for rule in ing["spec"]["rules"] for p in rule["http"]["paths"]]


def test_route_table_matches_the_contract() -> None:
    prefixes, ports = contract_tables()
    routes = yaml.safe_load((ROOT / "charts" / "umbrella" / "values.yaml").read_text())["gateway"]["routes"]
    assert {r["prefix"]: r["service"] for r in routes} == prefixes
    assert all(r["port"] == ports[r["service"]] for r in routes)
    assert [r["service"] for r in routes if r["admin"]] == ["order"]


def routes() -> list[dict]:
    return yaml.safe_load((ROOT / "charts" / "umbrella" / "values.yaml").read_text())["gateway"]["routes"]


@pytest.mark.parametrize("case", ["umbrella-default", "umbrella-kind", "umbrella-production"])
def test_every_route_renders_to_an_existing_service(case: str) -> None:
    docs = render_case(case)
    backends = {p["backend"]["service"]["name"] for _, p in ingress_paths(docs)}
    assert backends == {f"musiccorp-{r['service']}" for r in routes()}
    assert backends <= {s["metadata"]["name"] for s in of_kind(docs, "Service")}


@pytest.mark.parametrize("case", ["umbrella-default", "umbrella-production"])
def test_ingress_rewrites_per_contract(case: str) -> None:
    prefixes, ports = contract_tables()
    for ing, path in ingress_paths(render_case(case)):
        prefix = path["path"].split("(")[0]
        service = prefixes[prefix]
        annotations = ing["metadata"]["annotations"]
        assert ing["spec"]["ingressClassName"] == "nginx"
        assert annotations["nginx.ingress.kubernetes.io/use-regex"] == "true"
        assert annotations["nginx.ingress.kubernetes.io/rewrite-target"] == "/$2"
        assert annotations["nginx.ingress.kubernetes.io/x-forwarded-prefix"] == prefix
        assert path["pathType"] == "ImplementationSpecific"
        blocked = "metrics" if service == "order" else "metrics|admin"
        assert path["path"] == f"{prefix}(/|$)((?!{blocked}).*)"
        assert path["backend"]["service"]["port"]["number"] == ports[service]
        p = path["path"]
        assert rewrite(p, f"{prefix}/albums") == "/albums"
        assert rewrite(p, f"{prefix}/albums/CD001?x=1") == "/albums/CD001?x=1"
        assert rewrite(p, prefix) == "/"
        assert rewrite(p, f"{prefix}/") == "/"
        assert rewrite(p, f"{prefix}x/albums") is None


def test_no_path_reaches_metrics_or_a_non_admin_admin() -> None:
    admin_prefixes = {r["prefix"] for r in routes() if r["admin"]}
    for case in ("umbrella-default", "umbrella-kind", "umbrella-production"):
        for _, path in ingress_paths(render_case(case)):
            prefix = path["path"].split("(")[0]
            assert rewrite(path["path"], f"{prefix}/metrics") is None
            assert rewrite(path["path"], "/metrics") is None
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
    assert len(backends) == len(routes()) - 1
