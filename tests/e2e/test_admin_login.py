"""The admin login that `make up` prints works (ensure_superuser ran with the generated secrets).

The order admin is the Django order service's: with ORDER_IMPL=both it shows an order placed
through order-go (/api/order-go/), which shares its database; with ORDER_IMPL=go there is no
Django order web process and /api/orders/admin/ is order-go's JSON 404.
"""

from __future__ import annotations

import re

import pytest
import requests

from .conftest import ORDER_IMPL, ORDER_ROUTES, django_order_only

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


@django_order_only
def test_order_admin_works_through_the_gateway(stack, stack_secrets):
    """Login, redirects, CSRF, links and static files of the order admin at /api/orders/admin/,
    and its page of an order placed through the last order route (order-go's with both)."""
    base = f"{stack}/api/orders"
    order = {"customer_email": "admin-e2e@example.com", "items": [{"sku": "CD003", "quantity": 1}], "payment_token": "tok_visa"}
    placed = requests.post(f"{stack}{ORDER_ROUTES[ORDER_IMPL][-1]}/orders", json=order, timeout=15)
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


@pytest.mark.skipif(ORDER_IMPL != "go", reason="ORDER_IMPL=go only: no Django order admin runs")
def test_with_order_go_alone_there_is_no_order_admin_behind_the_gateway(stack):
    for path in ("/api/orders/admin/", "/api/orders/admin/login/", "/api/orders/static/admin/css/base.css"):
        response = requests.get(f"{stack}{path}", timeout=10, allow_redirects=False)
        assert response.status_code == 404, path
        assert response.headers["Content-Type"].startswith("application/json"), path
