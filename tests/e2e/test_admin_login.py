"""The admin login that `make up` prints works (ensure_superuser ran with the generated secrets)."""

from __future__ import annotations

import pytest
import requests

pytestmark = pytest.mark.e2e


def test_admin_logs_in_on_the_catalog_port(stack, stack_secrets):
    base = "http://127.0.0.1:5001"
    secrets = stack_secrets
    session = requests.Session()
    session.get(f"{base}/admin/login/", timeout=10).raise_for_status()
    csrf = next(c.value for c in session.cookies if c.name.endswith("csrftoken"))
    response = session.post(
        f"{base}/admin/login/?next=/admin/",
        data={
            "csrfmiddlewaretoken": csrf,
            "username": secrets["DJANGO_SUPERUSER_USERNAME"],
            "password": secrets["DJANGO_SUPERUSER_PASSWORD"],
            "next": "/admin/",
        },
        headers={"Referer": f"{base}/admin/login/"},
        allow_redirects=False,
        timeout=10,
    )
    assert response.status_code == 302, response.text[:500]
    assert response.headers["Location"] == "/admin/"
    assert "Site administration" in session.get(f"{base}/admin/", timeout=10).text
