"""The production values give every service settings that accept the gateway host (issue 8, item 5).

Renders charts/umbrella/values-production.yaml with tests/charts/values/production.yaml (case
umbrella-production), takes each service's ConfigMap env plus what the pod spec adds, and asks
the service's own Django settings (a subprocess in services/<svc>, no database needed) to answer
/health as the gateway would send it: Host shop.example.com, X-Forwarded-Proto from an address in
django.trustedProxies. Also the prune CronJob and the production env that
tests/stack/test_deploy_checks.py runs `check --deploy` with.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys

import pytest
from chartlib import ROOT, of_kind, render_case, template

SERVICES = ["catalog", "inventory", "order", "payment", "shipping"]
GATEWAY_HOST = "shop.example.com"

PROBE = """
import json, django
django.setup()
from django.test import Client
client = Client(REMOTE_ADDR="10.244.1.5")
answers = {}
for name, host, proto in [("https", "shop.example.com", "https"), ("http", "shop.example.com", "http"),
                          ("foreign", "evil.example.com", "https"), ("service", "musiccorp-{svc}", None)]:
    headers = {"HTTP_HOST": host}
    if proto:
        headers["HTTP_X_FORWARDED_PROTO"] = proto
    response = client.get("/health", **headers)
    answers[name] = [response.status_code, response.get("Location"), response.get("Strict-Transport-Security")]
print(json.dumps(answers))
"""


def _configmap_env(service: str) -> dict[str, str]:
    docs = render_case("umbrella-production")
    name = f"musiccorp-{service}"
    (cm,) = [d for d in of_kind(docs, "ConfigMap") if d["metadata"]["name"] == name]
    return dict(cm["data"])


@pytest.mark.parametrize("service", SERVICES)
def test_production_configmap_carries_the_gateway_host(service):
    env = _configmap_env(service)
    assert GATEWAY_HOST in env["DJANGO_ALLOWED_HOSTS"].split(",")
    assert env["DJANGO_CSRF_TRUSTED_ORIGINS"] == f"https://{GATEWAY_HOST}"
    assert env["DJANGO_SECURE_HTTPS"] == "true"
    assert env["DJANGO_TRUSTED_PROXIES"] == "10.244.0.0/16"


@pytest.mark.parametrize("service", SERVICES)
def test_service_settings_accept_the_gateway_host_under_production_values(service, tmp_path):
    env = {
        **_configmap_env(service),
        "PATH": os.environ["PATH"],
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DATABASE_URL": "postgres://unused:unused@127.0.0.1:1/unused",
        "OTEL_TRACES_EXPORTER": "none",
        # Set at all, even empty, it puts prometheus_client in multiprocess mode: a directory of
        # the test's own, not the service's source directory (the process's cwd).
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
    }
    proc = subprocess.run(
        [sys.executable, "-c", PROBE.replace("{svc}", service)],
        cwd=ROOT / "services" / service,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    answers = json.loads(proc.stdout.strip().splitlines()[-1])
    status, _, hsts = answers["https"]
    assert status == 200
    assert "max-age=31536000" in (hsts or "")
    assert answers["http"][:2] == [301, f"https://{GATEWAY_HOST}/health"]
    assert answers["foreign"][0] == 400
    # In-cluster calls (a Service name, plain HTTP, no gateway header) are served, not redirected.
    assert answers["service"][0] == 200


def test_every_service_has_a_prune_cronjob_with_the_jobs_pod_security():
    docs = render_case("umbrella-production")
    cronjobs = {d["metadata"]["name"]: d for d in of_kind(docs, "CronJob") if d["metadata"]["name"].endswith("-prune")}
    assert sorted(cronjobs) == sorted(f"musiccorp-{s}-prune" for s in SERVICES)
    for cronjob in cronjobs.values():
        spec = cronjob["spec"]
        assert spec["concurrencyPolicy"] == "Forbid"
        assert spec["jobTemplate"]["spec"]["ttlSecondsAfterFinished"] > 0
        pod = spec["jobTemplate"]["spec"]["template"]["spec"]
        assert pod["automountServiceAccountToken"] is False
        assert pod["securityContext"]["runAsNonRoot"] is True
        (container,) = pod["containers"]
        assert container["command"] == ["python", "manage.py", "prune_events"]
        assert container["securityContext"]["readOnlyRootFilesystem"] is True
        assert container["resources"]["limits"]["memory"]


def test_consumer_health_binds_the_pod_ip():
    docs = render_case("umbrella-production")
    for deployment in of_kind(docs, "Deployment"):
        if not deployment["metadata"]["name"].endswith("-consumer"):
            continue
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        env = {e["name"]: e for e in container["env"]}
        assert env["EVENTS_CONSUMER_HEALTH_HOST"]["value"] == "$(POD_IP)"
        names = [e["name"] for e in container["env"]]
        assert names.index("POD_IP") < names.index("EVENTS_CONSUMER_HEALTH_HOST")


def test_gateway_host_without_the_services_host_fails_the_render():
    proc = template("umbrella", ["--set", "gateway.host=shop.example.com"], expect_ok=False)
    assert proc.returncode != 0
    assert "global.serviceDefaults.django.gatewayHost" in proc.stdout + proc.stderr
