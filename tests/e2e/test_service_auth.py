"""Who may call what, on the running stack (docs/security.md): inventory's internal writes take
the order service's credential, and customer data is not listed anonymously.

Direct calls go to the services' own loopback ports (in the cluster only the order service's
pods may reach inventory's port at all); reads of lists go through the gateway on :8080.
After every refused request, stock is what it was before.
"""

from __future__ import annotations

import uuid

import pytest
import requests

pytestmark = pytest.mark.e2e

INVENTORY = "http://127.0.0.1:5002"
SKU = "CD001"


def stock(sku=SKU) -> dict:
    response = requests.get(f"{INVENTORY}/stock/{sku}", timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def refused_credentials(secrets: dict[str, str]) -> list[tuple[str, dict[str, str], int]]:
    return [
        ("none", {}, 401),
        ("a token nobody has", {"Authorization": f"Bearer {uuid.uuid4().hex}"}, 401),
        ("a malformed header", {"Authorization": "Bearer"}, 401),
        # Inventory knows only its callers' tokens (order's), so payment's is just a wrong one.
        ("the payment service's own token", {"Authorization": f"Bearer {secrets['SERVICE_TOKEN_PAYMENT']}"}, 401),
        ("a customer's basic auth", {"Authorization": "Basic bm9ib2R5Om5vcGU="}, 401),
    ]


@pytest.mark.parametrize("endpoint", ["reserve", "release"])
def test_inventory_refuses_internal_writes_without_the_order_services_credential(stack, stack_secrets, endpoint):
    before = stock()
    for name, headers, expected in refused_credentials(stack_secrets):
        response = requests.post(
            f"{INVENTORY}/stock/{SKU}/{endpoint}",
            json={"order_id": str(uuid.uuid4()), "quantity": 1},
            headers=headers,
            timeout=10,
        )
        assert response.status_code == expected, f"{name}: {response.status_code} {response.text}"
        assert response.json()["detail"], name
    assert stock() == before


def test_the_order_services_credential_reserves_and_releases(stack, stack_secrets):
    headers = {"Authorization": f"Bearer {stack_secrets['SERVICE_TOKEN_ORDER']}"}
    order_id = str(uuid.uuid4())
    before = stock()
    reserved = requests.post(
        f"{INVENTORY}/stock/{SKU}/reserve", json={"order_id": order_id, "quantity": 1}, headers=headers, timeout=10
    )
    assert reserved.status_code == 200, reserved.text
    assert reserved.json()["reserved"] == before["reserved"] + 1
    released = requests.post(f"{INVENTORY}/stock/{SKU}/release", json={"order_id": order_id}, headers=headers, timeout=10)
    assert released.json()["released"] == 1
    assert stock() == before


@pytest.mark.parametrize("path", ["/api/orders/orders", "/api/payments/payments", "/api/shipping/shipments"])
def test_lists_of_customer_data_take_a_staff_user(stack, stack_secrets, path):
    anonymous = requests.get(f"{stack}{path}", timeout=10)
    assert anonymous.status_code in (401, 403), anonymous.text
    assert "staff" in anonymous.json()["detail"]
    staff = (stack_secrets["DJANGO_SUPERUSER_USERNAME"], stack_secrets["DJANGO_SUPERUSER_PASSWORD"])
    assert requests.get(f"{stack}{path}", auth=staff, timeout=10).status_code == 200


def test_an_order_is_read_by_its_id_and_its_payment_by_the_order_id(stack):
    body = {"customer_email": "auth-e2e@example.com", "items": [{"sku": SKU, "quantity": 1}], "payment_token": "tok_visa"}
    placed = requests.post(f"{stack}/api/orders/orders", json=body, timeout=15)
    assert placed.status_code == 201, placed.text
    order_id = placed.json()["id"]
    assert requests.get(f"{stack}/api/orders/orders/{order_id}", timeout=10).json()["customer_email"] == body["customer_email"]
    for path in ("/api/payments/payments", "/api/shipping/shipments"):
        response = requests.get(f"{stack}{path}", params={"order_id": order_id}, timeout=10)
        assert response.status_code == 200, response.text
        assert all(r["order_id"] == order_id for r in response.json()["results"])
