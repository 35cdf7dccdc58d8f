"""ORDER_IMPL of the local stack (`make up ORDER_IMPL=python|go|both`): which order service
supervisord runs and where the gateway sends /api/orders/ and /api/order-go/.

Renders the supervisord config (`ci/stack/services config`) and the nginx.conf; nothing is started.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import nginx_conf
import pytest
from routes import load_routes

from .nginx_check import assert_nginx_accepts
from .test_supervisor_config import ROOT, render

pytestmark = pytest.mark.stack

DJANGO_ORDER = {"order", "order-consumer", "order-relay", "order-expiry"}
# Every service with a relay and the order expiry, so that all four Django order programs exist.
COMMANDS = {s: ["relay_outbox"] for s in ("inventory", "order", "payment", "shipping")}
COMMANDS["order"] = ["relay_outbox", "expire_orders"]


def test_python_is_the_default_and_has_no_order_go(stack_secrets, tmp_path):
    default = render(tmp_path, COMMANDS)
    python = render(tmp_path, COMMANDS, ORDER_IMPL="python")
    assert set(default) == set(python)
    assert set(default) >= DJANGO_ORDER
    assert "order-go" not in default


def test_python_config_is_unchanged_by_the_setting(stack_secrets, tmp_path):
    def config(**environ: str) -> str:
        env = {k: v for k, v in os.environ.items() if k != "ORDER_IMPL"}
        env.update(MUSICCORP_STACK_STATE_DIR=str(tmp_path), **environ)
        return subprocess.run(
            [str(ROOT / "ci" / "stack" / "services"), "config"], capture_output=True, text=True, env=env, check=True
        ).stdout

    render(tmp_path, COMMANDS)  # writes the command lists
    assert config() == config(ORDER_IMPL="python")
    assert "order-go" not in config()


def test_both_adds_order_go_with_the_order_service_environment(stack_secrets, tmp_path):
    programs = render(tmp_path, COMMANDS, ORDER_IMPL="both")
    assert DJANGO_ORDER | {"order-go", "order-pruner"} <= set(programs)
    go = programs["order-go"]
    assert go.command.endswith("/bin/order-go")  # built into the run dir by `up`
    assert go.directory == str(ROOT / "services" / "order-go")
    env, consumer_env = go.environment, programs["order-consumer"].environment
    assert env["ORDER_GO_PORT"] == "5006"
    assert env["ORDER_GO_BIND_HOST"] == "127.0.0.1"
    schemas = Path(env["EVENTS_SCHEMA_DIR"])
    assert schemas.is_absolute()
    assert (schemas / "envelope.v1.json").is_file()
    # The order service's own credentials, as the Django consumer has them.
    for key in ("DATABASE_URL", "SERVICE_TOKEN", "KAFKA_SASL_USERNAME", "KAFKA_SASL_PASSWORD", "INVENTORY_URL"):
        assert env[key] == consumer_env[key], key
    assert env["KAFKA_SASL_USERNAME"] == "order"
    assert "musiccorp_order" in env["DATABASE_URL"]


def test_go_replaces_the_django_order_processes(stack_secrets, tmp_path):
    programs = render(tmp_path, COMMANDS, ORDER_IMPL="go")
    assert "order-go" in programs
    assert not DJANGO_ORDER & set(programs)
    assert "order-pruner" in programs  # event pruning stays with Django's command
    assert {"inventory-consumer", "payment-relay", "shipping-consumer"} <= set(programs)
    assert programs["order-go"].environment["KAFKA_SASL_USERNAME"] == "order"


@pytest.mark.parametrize("script", ["services config", "up"])
def test_an_unknown_value_is_refused(stack_secrets, tmp_path, script):
    env = {**os.environ, "MUSICCORP_STACK_STATE_DIR": str(tmp_path), "ORDER_IMPL": "rust"}
    render(tmp_path, COMMANDS)
    name, *args = script.split()
    proc = subprocess.run(
        [str(ROOT / "ci" / "stack" / name), *args], capture_output=True, text=True, env=env, timeout=60, check=False
    )
    assert proc.returncode != 0
    assert "ORDER_IMPL='rust' is not one of python, go, both" in proc.stderr
    assert proc.stdout == ""


def _proxy_port(conf: str, prefix: str) -> int:
    block = conf.split(f"location ~ ^{prefix}(/|$)", 1)[1].split("\n        }\n", 1)[0]
    return int(re.search(r"proxy_pass http://127\.0\.0\.1:(\d+);", block).group(1))


def _conf(tmp_path: Path, impl: str) -> str:
    assert nginx_conf.main(["--run-dir", str(tmp_path), "--order-impl", impl]) == 0
    return (tmp_path / "nginx" / "nginx.conf").read_text()


def test_gateway_python_is_unchanged(tmp_path):
    routes = load_routes()
    assert nginx_conf.with_order_impl(routes, "python") == routes
    conf = _conf(tmp_path, "python")
    order_go = conf.split("location ~ ^/api/order-go(/|$)", 1)[1].split("location ", 1)[0]
    assert "proxy_pass" not in order_go
    assert "service not deployed: order-go" in order_go
    assert _proxy_port(conf, "/api/orders") == 5003


@pytest.mark.parametrize(("impl", "orders_port"), [("both", 5003), ("go", 5006)])
def test_gateway_routes_order_go(tmp_path, impl, orders_port):
    conf = _conf(tmp_path, impl)
    assert conf.count("location ~ ^/api/order-go(/|$)") == 1
    assert _proxy_port(conf, "/api/order-go") == 5006
    assert _proxy_port(conf, "/api/orders") == orders_port
    # The order route's per-client placement limit holds for order-go too, in its own zone.
    assert "zone=order_placement_go:1m" in conf
    assert "limit_req zone=order_placement_go" in conf.split("location ~ ^/api/order-go(/|$)", 1)[1]
    assert_nginx_accepts(tmp_path / "nginx", tmp_path / "err.log")


def test_gateway_refuses_an_unknown_impl():
    with pytest.raises(ValueError, match="not one of python, go, both"):
        nginx_conf.with_order_impl(load_routes(), "rust")


@pytest.mark.parametrize(
    ("impl", "order_go", "django_admin"), [("python", False, True), ("both", True, True), ("go", True, False)]
)
def test_urls_name_order_go(stack_secrets, impl, order_go, django_admin):
    env = {**os.environ, "ORDER_IMPL": impl}
    out = subprocess.run(
        [str(ROOT / "ci" / "stack" / "urls")], capture_output=True, text=True, env=env, timeout=60, check=True
    ).stdout
    assert ("http://localhost:8080/api/order-go/   direct: http://127.0.0.1:5006/" in out) is order_go
    assert ("/api/orders/admin/" in out) is django_admin
