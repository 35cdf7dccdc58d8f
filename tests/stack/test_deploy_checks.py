"""`manage.py check --deploy` of every service, with the environment the production values give.

The environment below is what the chart renders for charts/umbrella/values-production.yaml
with tests/charts/values/production.yaml
(tests/charts/test_production_host.py checks the two agree on the names that matter). Run
with --fail-level WARNING: a single warning fails the test. Needs no database or broker.
"""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

SERVICES = ["catalog", "inventory", "order", "payment", "shipping"]

PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings",
    "DATABASE_URL": "postgres://musiccorp:unused@127.0.0.1:1/musiccorp",
    "DJANGO_DEBUG": "false",
    "DJANGO_SECURE_HTTPS": "true",
    "DJANGO_ALLOWED_HOSTS": "shop.example.com,musiccorp-order,localhost,127.0.0.1",
    "DJANGO_CSRF_TRUSTED_ORIGINS": "https://shop.example.com",
    "DJANGO_TRUSTED_PROXIES": "10.0.0.0/8",
    "OTEL_TRACES_EXPORTER": "none",
}


def _check_deploy(service: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT / "services" / service,
        env={"PATH": os.environ["PATH"], **env, "DJANGO_SECRET_KEY": secrets.token_urlsafe(50)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("service", SERVICES)
def test_check_deploy_prints_no_warning_under_production_env(service):
    proc = _check_deploy(service, PRODUCTION_ENV)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "WARNINGS" not in proc.stderr + proc.stdout


def test_check_deploy_still_reports_what_the_local_stack_leaves_off():
    """The same check is not blind: plain HTTP (the local stack) gives Django's own warnings."""
    proc = _check_deploy("order", {**PRODUCTION_ENV, "DJANGO_SECURE_HTTPS": "false"})
    assert proc.returncode != 0
    for warning in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert warning in proc.stderr
