"""The bundled profile's gateway (gateway.api: nginx) routes exactly the route table: its nginx.conf,
parsed, has one location per route of ci/stack/routes.py's table (the one table the local nginx and
the Ingresses come from), forwarding to that service's Service and port with the same blocked paths,
method guards, rate limits and body size; real nginx accepts it; the services admit the gateway."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from chartlib import ROOT, of_kind, render_bundled

sys.path.insert(0, str(ROOT / "ci" / "stack"))

from routes import load_body_size_limit, load_routes

LOCATION = re.compile(
    r"location ~ \^(?P<prefix>/[^(]+)\(/\|\$\)\(\(\?!(?P<blocked>[^)]+)\)\.\*\) \{(?P<body>.*?)\n        \}", re.S
)
ZONE = re.compile(r'map "\$request_method:\$uri" \$limit_key_(?P<name>\w+) \{\s*"~\^(?P<method>[^:]+):(?P<path>[^"]+?)/\?\$"')
RATE = re.compile(r"limit_req_zone \$limit_key_(?P<name>\w+) zone=(?P=name):1m rate=(?P<rpm>\d+)r/m;")


def nginx_conf(*extra: str) -> str:
    [cm] = [c for c in of_kind(render_bundled(*extra), "ConfigMap") if c["metadata"]["name"] == "musiccorp-gateway"]
    return cm["data"]["nginx.conf"]


def locations(conf: str) -> dict[str, dict]:
    """prefix -> {blocked, upstream, forwarded_prefix, methods, limits} of every proxying location."""
    found = {}
    for match in LOCATION.finditer(conf):
        body = match["body"]
        methods = re.search(r"if \(\$request_method !~ \^\(([A-Z|]+)\)\$\)", body)
        found[match["prefix"]] = {
            "blocked": set(match["blocked"].split("|")),
            "upstream": re.search(r"proxy_pass http://([^;]+);", body)[1],
            "forwarded_prefix": re.search(r"proxy_set_header X-Forwarded-Prefix (\S+);", body)[1],
            "methods": tuple(methods[1].split("|")) if methods else (),
            "limits": dict(re.findall(r"limit_req zone=(\w+) burst=(\d+) nodelay;", body)),
        }
    return found


def test_every_route_and_only_the_routes_are_served() -> None:
    served = locations(nginx_conf())
    # A route to a second implementation (order-go) is served only while it runs (test_order_implementations.py).
    routes = [r for r in load_routes() if not r.implements]
    assert set(served) == {r.prefix for r in routes}
    for route in routes:
        location = served[route.prefix]
        assert location["upstream"] == f"musiccorp-{route.service}.musiccorp.svc:{route.port}", route
        assert location["forwarded_prefix"] == route.prefix
        # /metrics never, /admin only on admin routes: as the local nginx and the Ingresses.
        assert location["blocked"] == ({"metrics"} if route.admin else {"metrics", "admin"}), route
        assert location["methods"] == route.methods, route
        assert location["limits"] == {lim.name: str(lim.burst) for lim in route.limits}, route


def test_rate_limit_zones_are_the_tables() -> None:
    conf = nginx_conf()
    zones = {m["name"]: (m["method"], m["path"]) for m in ZONE.finditer(conf)}
    rates = {m["name"]: int(m["rpm"]) for m in RATE.finditer(conf)}
    limits = [lim for r in load_routes() for lim in r.limits]
    assert zones == {lim.name: (lim.method or "[A-Z]+", lim.path.rstrip("/")) for lim in limits}
    assert rates == {lim.name: lim.rpm for lim in limits}


def test_body_size_and_fallbacks() -> None:
    conf = nginx_conf()
    assert f"client_max_body_size {load_body_size_limit()};" in conf
    assert "location / {" in conf
    assert "return 404" in conf
    assert "location = /healthz {" in conf


def test_a_disabled_service_answers_503_instead_of_a_route() -> None:
    conf = nginx_conf("--set", "shipping.enabled=false")
    assert "/api/shipping" not in locations(conf)
    assert "location ~ ^/api/shipping(/|$) {" in conf
    assert "service not deployed: shipping" in conf


def test_real_nginx_accepts_the_config(tmp_path: Path) -> None:
    nginx = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin")
    if nginx is None:
        pytest.fail("nginx not found (the local stack's gateway; run ci/bootstrap)", pytrace=False)
    # The Services resolve only in the cluster; pid and temp files go to this test's directory.
    conf = re.sub(r"http://[a-z-]+\.musiccorp\.svc:", "http://127.0.0.1:", nginx_conf()).replace("/tmp/", f"{tmp_path}/")  # noqa: S108
    (tmp_path / "nginx.conf").write_text(conf)
    proc = subprocess.run(
        [nginx, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf"), "-e", "stderr"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr


def test_the_services_admit_the_gateway_pods() -> None:
    docs = render_bundled()
    [gateway] = [d for d in of_kind(docs, "Deployment") if d["metadata"]["name"] == "musiccorp-gateway"]
    labels = gateway["spec"]["template"]["metadata"]["labels"]
    for route in (r for r in load_routes() if not r.implements):
        [policy] = [p for p in of_kind(docs, "NetworkPolicy") if p["metadata"]["name"] == f"musiccorp-{route.service}"]
        peers = [peer["podSelector"]["matchLabels"] for rule in policy["spec"]["ingress"] for peer in rule["from"]]
        admitted = [
            rule
            for rule in policy["spec"]["ingress"]
            if any(p["podSelector"]["matchLabels"].items() <= labels.items() for p in rule["from"])
        ]
        assert admitted, f"{route.service} admits {peers}, not the gateway {labels}"
        assert {"port": route.port, "protocol": "TCP"} in admitted[0]["ports"]
