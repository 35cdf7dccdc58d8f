"""Service-to-service credentials in the chart (docs/security.md): every service has a token of
its own in a Secret the chart generates, presented as SERVICE_TOKEN, and a service takes the
tokens of exactly the services allowed to call it (networkPolicy.clients) as CALLER_TOKEN_<NAME>,
always from Secrets, never as plain values."""

from __future__ import annotations

import base64

import pytest
from chartlib import SERVICES, of_kind, render_case

# Who calls whom (contract): order calls catalog (prices) and inventory (reservations); inventory's
# reservation sweeper reads GET /orders/<id> from order.
EXPECTED_CALLERS = {"catalog": {"order"}, "inventory": {"order"}, "order": {"inventory"}, "payment": set(), "shipping": set()}


def _containers(docs, service):
    for deployment in of_kind(docs, "Deployment"):
        if deployment["metadata"]["labels"].get("app.kubernetes.io/name") == service:
            spec = deployment["spec"]["template"]["spec"]
            yield from spec.get("initContainers", []) + spec["containers"]


def _token_env(container) -> dict[str, dict]:
    return {e["name"]: e for e in container.get("env", []) if "TOKEN" in e["name"]}


@pytest.mark.parametrize("case", ["umbrella-default", "umbrella-production"])
def test_each_service_has_a_generated_token_secret(case):
    secrets = {s["metadata"]["name"]: s for s in of_kind(render_case(case), "Secret")}
    for service in SERVICES:
        secret = secrets[f"musiccorp-{service}-service-token"]
        token = base64.b64decode(secret["data"]["token"]).decode()
        assert len(token) == 48
        assert token.isalnum()
    tokens = [secrets[f"musiccorp-{s}-service-token"]["data"]["token"] for s in SERVICES]
    assert len(set(tokens)) == len(SERVICES), "every service has a token of its own"


@pytest.mark.parametrize("case", ["umbrella-default", "umbrella-production"])
@pytest.mark.parametrize("service", SERVICES)
def test_tokens_come_from_secrets_and_only_callers_are_trusted(case, service):
    containers = list(_containers(render_case(case), service))
    assert containers
    for container in containers:
        env = _token_env(container)
        assert env["SERVICE_TOKEN"]["valueFrom"]["secretKeyRef"] == {
            "name": f"musiccorp-{service}-service-token",
            "key": "token",
        }
        callers = {name.removeprefix("CALLER_TOKEN_").lower() for name in env if name.startswith("CALLER_TOKEN_")}
        assert callers == EXPECTED_CALLERS[service]
        for caller in callers:
            ref = env[f"CALLER_TOKEN_{caller.upper()}"]["valueFrom"]["secretKeyRef"]
            assert ref["name"] == f"musiccorp-{caller}-service-token"
        assert all("value" not in e for e in env.values()), "a token never appears as a plain value"
