"""The admin login that `make up` prints works (ensure_superuser ran with the generated secrets)."""

from __future__ import annotations

import re

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


def test_order_admin_works_through_the_gateway(stack, stack_secrets):
    """Login, redirects, CSRF, links and static files of the order admin at /api/orders/admin/."""
    base = f"{stack}/api/orders"
    order = {"customer_email": "admin-e2e@example.com", "items": [{"sku": "CD003", "quantity": 1}], "payment_token": "tok_visa"}
    placed = requests.post(f"{base}/orders", json=order, timeout=15)
    assert placed.status_code == 201, placed.text
    session = requests.Session()
    login_page = session.get(f"{base}/admin/", timeout=10)  # redirected to the login page through the gateway
    assert login_page.url == f"{base}/admin/login/?next=/api/orders/admin/"
    stylesheets = re.findall(r'href="(/api/orders/static/[^"]+\.css)"', login_page.text)
    assert stylesheets, "the login page links its static files through the gateway"
    assert session.get(f"{stack}{stylesheets[0]}", timeout=10).status_code == 200
    csrf = session.cookies.get("order_csrftoken")
    assert csrf, "the order service names its CSRF cookie after itself"
    response = session.post(
        f"{base}/admin/login/?next=/api/orders/admin/",
        data={
            "csrfmiddlewaretoken": csrf,
            "username": stack_secrets["DJANGO_SUPERUSER_USERNAME"],
            "password": stack_secrets["DJANGO_SUPERUSER_PASSWORD"],
            "next": "/api/orders/admin/",
        },
        headers={"Referer": f"{base}/admin/login/", "Origin": stack},
        allow_redirects=False,
        timeout=10,
    )
    assert response.status_code == 302, response.text[:500]
    assert response.headers["Location"] == "/api/orders/admin/"
    changelist = session.get(f"{base}/admin/orders/order/", timeout=10)
    assert changelist.status_code == 200
    assert "status__exact=PENDING" in changelist.text  # the status filter
    # Each order links to its page through the gateway, and that page shows the saga timeline.
    detail = f"/api/orders/admin/orders/order/{placed.json()['id']}/change/"
    assert f'href="{detail}"' in changelist.text, "order rows link through the gateway"
    page = session.get(f"{stack}{detail}", timeout=10)
    assert page.status_code == 200
    assert "order.placed" in page.text
    assert session.cookies.get("order_sessionid")


def test_admins_of_other_services_are_not_behind_the_gateway(stack):
    for prefix in ("catalog", "inventory", "payments", "shipping"):
        assert requests.get(f"{stack}/api/{prefix}/admin/", timeout=10).status_code == 404
