"""The services, the database bootstrap Job and its superuser Secret find the postgres chart's
Service and Secret by the names that chart gives them: `<release>-<name>` where name is
nameOverride or "postgres", the release name alone when it already contains that name (release
`shop-postgres` -> Service `shop-postgres`, not `shop-postgres-postgres`), fullnameOverride as is;
the Secret is auth.existingSecret when given. A name override the services cannot see (a subchart
reads only its own section) fails the render, naming the key to set."""

from __future__ import annotations

import base64
from urllib.parse import urlsplit

import pytest
from chartlib import SERVICES, of_kind, parse, template

SERVICE_HOST = "global.serviceDefaults.database.host"
PG_PODS = ["--set", "global.serviceDefaults.networkPolicy.postgres.podLabels.app\\.kubernetes\\.io/name=pg"]


def render(release: str, *args: str, expect_ok: bool = True):
    return template("umbrella", list(args), expect_ok=expect_ok, release=release)


def database_hosts(docs: list[dict]) -> dict[str, str]:
    """service -> host of its DATABASE_URL (from its generated Secret)."""
    hosts = {}
    for secret in of_kind(docs, "Secret"):
        url = secret.get("data", {}).get("DATABASE_URL")
        if url:
            hosts[secret["metadata"]["labels"]["app.kubernetes.io/name"]] = urlsplit(base64.b64decode(url).decode()).hostname
    return hosts


def bootstrap_env(docs: list[dict]) -> dict:
    [job] = [j for j in of_kind(docs, "Job") if "db-bootstrap" in j["metadata"]["name"]]
    [container] = job["spec"]["template"]["spec"]["containers"]
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container["env"]}


@pytest.mark.parametrize(
    ("release", "args", "service", "secret"),
    [
        ("musiccorp", [], "musiccorp-postgres", "musiccorp-postgres"),
        ("shop-postgres", [], "shop-postgres", "shop-postgres"),
        ("postgres", [], "postgres", "postgres"),
        ("shop", ["--set", "postgres.nameOverride=pg", "--set", f"{SERVICE_HOST}=shop-pg", *PG_PODS], "shop-pg", "shop-pg"),
        ("shop", ["--set", "postgres.fullnameOverride=db", "--set", f"{SERVICE_HOST}=db"], "db", "db"),
        ("shop", ["--set", "postgres.auth.existingSecret=pg-admin"], "shop-postgres", "pg-admin"),
    ],
)
def test_services_and_bootstrap_use_the_postgres_charts_names(release: str, args: list[str], service: str, secret: str) -> None:
    docs = parse(render(release, *args).stdout)
    assert database_hosts(docs) == dict.fromkeys(SERVICES, service)
    env = bootstrap_env(docs)
    assert env["PGHOST"] == service
    assert env["PGPASSWORD"]["secretKeyRef"]["name"] == secret


@pytest.mark.parametrize("override", ["postgres.nameOverride=pg", "postgres.fullnameOverride=db"])
def test_a_postgres_name_override_the_services_do_not_follow_fails_the_render(override: str) -> None:
    proc = render("shop", "--set", override, expect_ok=False)
    assert proc.returncode != 0
    assert "set global.serviceDefaults.database.host" in proc.stderr, proc.stderr


def test_a_postgres_name_override_the_network_policies_do_not_follow_fails_the_render() -> None:
    proc = render("shop", "--set", "postgres.nameOverride=pg", "--set", f"{SERVICE_HOST}=shop-pg", expect_ok=False)
    assert proc.returncode != 0
    assert "set global.serviceDefaults.networkPolicy.postgres.podLabels" in proc.stderr, proc.stderr
