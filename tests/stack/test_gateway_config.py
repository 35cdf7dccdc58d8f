"""The gateway's nginx.conf generator (ci/stack/nginx_conf.py) and the route table it reads."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import nginx_conf
import pytest
from routes import Route, RouteTableError, load_routes

from .nginx_check import assert_nginx_accepts

ROUTES = load_routes()


def _location_pattern(conf: str, prefix: str) -> str:
    """The regex of the one location block that serves `prefix`."""
    found = re.findall(rf"location ~ (\^{re.escape(prefix)}\(/\|\$\)\S*) \{{", conf)
    assert len(found) == 1, f"expected one location for {prefix}, found {found}"
    return found[0]


@pytest.fixture
def conf(tmp_path) -> str:
    return nginx_conf.render(ROUTES, deployed=None, run_dir=tmp_path)


def test_route_table_matches_the_contract():
    # order-go (issue 13), the Go implementation of order, has a route of its own; the stack
    # scripts' service list (routes.py services) leaves it out: it has no database or project.
    assert [(r.prefix, r.service, r.port, r.implements, r.implementation) for r in ROUTES if r.implements] == [
        ("/api/order-go", "order-go", 5006, "order", "go")
    ]
    assert {(r.prefix, r.service, r.port) for r in ROUTES if not r.implements} == {
        ("/api/catalog", "catalog", 5001),
        ("/api/inventory", "inventory", 5002),
        ("/api/orders", "order", 5003),
        ("/api/payments", "payment", 5004),
        ("/api/shipping", "shipping", 5005),
    }
    assert [r.service for r in ROUTES if r.admin] == ["order"]


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.service)
def test_one_location_per_route_with_the_contract_regex(conf, route):
    blocked = "metrics" if route.admin else "metrics|admin"
    assert _location_pattern(conf, route.prefix) == f"^{route.prefix}(/|$)((?!{blocked}).*)"
    block = conf.split(f"location ~ ^{route.prefix}(/|$)", 1)[1].split("\n        }", 1)[0]
    assert f"proxy_pass http://127.0.0.1:{route.port};" in block
    assert f"rewrite ^{route.prefix}(/|$)(.*)$ /$2 break;" in block
    # nginx inherits no proxy_set_header into a location that sets any: every one must be here.
    for header in (
        "Host $http_host",
        "X-Forwarded-For $proxy_add_x_forwarded_for",
        "X-Forwarded-Proto $scheme",
        f"X-Forwarded-Prefix {route.prefix}",
        "X-Correlation-ID $correlation_id",
    ):
        assert f"proxy_set_header {header};" in block


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.service)
def test_location_regex_blocks_metrics_and_non_admin_admin(conf, route):
    pattern = re.compile(_location_pattern(conf, route.prefix))
    p = route.prefix
    assert pattern.match(f"{p}/albums")
    assert pattern.match(p)
    assert pattern.match(f"{p}/")
    assert not pattern.match(f"{p}/metrics")
    assert not pattern.match(f"{p}/metrics/")
    assert not pattern.match(f"{p}extra/thing"), "a longer prefix must not match"
    assert bool(pattern.match(f"{p}/admin/")) is route.admin


def test_listen_health_and_fallbacks(conf):
    assert "listen 127.0.0.1:8080;" in conf
    assert "location = /healthz" in conf
    assert re.search(
        r"location / \{\s+add_header X-Correlation-ID \$correlation_id always;\s+"
        r"return 404 '\{\"detail\"",
        conf,
    )


def test_state_stays_in_the_run_dir(conf, tmp_path):
    for directive in ("pid", "error_log", "access_log", "client_body_temp_path", "proxy_temp_path"):
        value = re.search(rf"^\s*{directive} (\S+)", conf, re.M).group(1)
        assert value.startswith(str(tmp_path)), f"{directive} {value} is outside the run dir"


def test_services_not_deployed_answer_503(tmp_path):
    conf = nginx_conf.render(ROUTES, deployed={"catalog"}, run_dir=tmp_path)
    assert "proxy_pass http://127.0.0.1:5001;" in conf
    assert "proxy_pass http://127.0.0.1:5003;" not in conf
    assert 'return 503 \'{"detail": "service not deployed: order"}' in conf


def test_route_table_rejects_duplicates_and_bad_prefixes(tmp_path):
    values = tmp_path / "values.yaml"
    values.write_text(
        "gateway:\n  routes:\n    - {prefix: /api/a, service: a, port: 1}\n    - {prefix: /api/a, service: b, port: 2}\n"
    )
    with pytest.raises(RouteTableError, match="duplicate prefix"):
        load_routes(values)
    values.write_text("gateway:\n  routes:\n    - {prefix: '/api/a;b', service: a, port: 1}\n")
    with pytest.raises(RouteTableError, match="not a plain path"):
        load_routes(values)
    values.write_text("gateway: {}\n")
    with pytest.raises(RouteTableError, match="non-empty list"):
        load_routes(values)


@pytest.mark.parametrize("deployed", ["all", "catalog", ""])
def test_generated_config_passes_nginx_t(tmp_path, deployed):
    assert nginx_conf.main(["--run-dir", str(tmp_path), "--deployed", deployed or ","]) == 0
    assert_nginx_accepts(tmp_path / "nginx", tmp_path / "err.log")


def test_route_objects_are_plain():
    assert Route("/api/x", "x", 1) == Route(prefix="/api/x", service="x", port=1, admin=False)


def _route_block(conf: str, route: Route) -> str:
    return conf.split(f"location ~ ^{route.prefix}(/|$)", 1)[1].split("\n        }\n", 1)[0]


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.service)
def test_routes_with_methods_answer_405_to_other_methods(conf, route):
    block = _route_block(conf, route)
    if route.methods:
        assert f"if ($request_method !~ ^({'|'.join(route.methods)})$)" in block
        assert 'return 405 \'{"detail"' in block
    else:
        assert "return 405" not in block
    assert [r.methods for r in ROUTES if r.service == "inventory"] == [("GET", "HEAD")]


def test_rate_limits_are_per_client_zones_answering_429(conf):
    limits = {lim.name: (route, lim) for route in ROUTES for lim in route.limits}
    assert {"order_placement", "admin_login"} <= limits.keys()
    assert "limit_req_status 429;" in conf
    assert "error_page 429 = @rate_limited;" in conf
    for name, (route, limit) in limits.items():
        assert f'map "$request_method:$uri" $limit_key_{name} {{' in conf
        assert f"limit_req_zone $limit_key_{name} zone={name}:1m rate={limit.rpm}r/m;" in conf
        assert f"limit_req zone={name} burst={limit.burst} nodelay;" in _route_block(conf, route)
    assert '"~^POST:/orders/?$" $binary_remote_addr;' in conf


def test_limit_scale_multiplies_rates_and_bursts(tmp_path):
    conf = nginx_conf.render(ROUTES, deployed=None, run_dir=tmp_path, limit_scale=100)
    [order] = [r for r in ROUTES if r.service == "order"]
    for limit in order.limits:
        assert f"rate={limit.rpm * 100}r/m;" in conf
        assert f"limit_req zone={limit.name} burst={limit.burst * 100} nodelay;" in conf


def test_body_size_limit_answers_413_json(conf):
    assert "client_max_body_size 1m;" in conf
    assert "error_page 413 = @body_too_large;" in conf
    assert 'return 413 \'{"detail": "request body too large"}\\n\';' in conf


def test_route_table_rejects_bad_methods_and_limits(tmp_path):
    values = tmp_path / "values.yaml"
    values.write_text("gateway:\n  routes:\n    - {prefix: /api/a, service: a, port: 1, methods: [GET, FETCH]}\n")
    with pytest.raises(RouteTableError, match="methods"):
        load_routes(values)
    values.write_text("gateway:\n  routes:\n    - {prefix: /api/a, service: a, port: 1, limits: [{name: x, path: /a}]}\n")
    with pytest.raises(RouteTableError, match="rpm"):
        load_routes(values)
    values.write_text(
        "gateway:\n  routes:\n    - {prefix: /api/a, service: a, port: 1, limits: [{name: x, path: '/a;b', rpm: 1}]}\n"
    )
    with pytest.raises(RouteTableError, match="plain service path"):
        load_routes(values)


def test_ingress_server_snippet_passes_nginx_t(tmp_path):
    """The generated global snippet of ingress-nginx (ci/ingress_snippet.py) is valid server config."""
    script = Path(nginx_conf.__file__).resolve().parents[1] / "ingress_snippet.py"
    snippet = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, check=True).stdout
    conf = tmp_path / "nginx.conf"
    conf.write_text(
        f"pid {tmp_path}/nginx.pid;\nevents {{}}\nhttp {{\n  server {{\n    listen 127.0.0.1:8080;\n"
        f"{snippet}    location / {{ return 200; }}\n  }}\n}}\n"
    )
    assert_nginx_accepts(tmp_path, tmp_path / "err.log")


def test_stack_service_list_leaves_out_second_implementations():
    """routes.py services feeds the stack's databases and credentials: order-go shares order's."""
    script = Path(__file__).resolve().parents[2] / "ci" / "stack" / "routes.py"
    out = subprocess.run([sys.executable, str(script), "services"], capture_output=True, text=True, check=True).stdout
    assert [line.split()[0] for line in out.splitlines()] == ["catalog", "inventory", "order", "payment", "shipping"]
