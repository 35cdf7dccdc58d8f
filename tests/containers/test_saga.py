"""One order through the saga across the service containers, over their published ports: through
each order service that runs (the Django image, order-go's with ORDER_IMPL=go|both)."""

from __future__ import annotations

import time

import pytest
import requests

from .conftest import order_services

pytestmark = [pytest.mark.saga, pytest.mark.parametrize("order", order_services())]
SAGA_TIMEOUT = 60.0
SKU = "CD003"


def _place(urls, order, token: str) -> dict:
    body = {"customer_email": "smoke@example.com", "items": [{"sku": SKU, "quantity": 1}], "payment_token": token}
    response = requests.post(f"{urls[order]}/orders", json=body, timeout=10)
    assert response.status_code == 201, response.text
    return response.json()


def _wait_for_status(urls, order, order_id, wanted: str) -> None:
    deadline, status = time.monotonic() + SAGA_TIMEOUT, None
    while time.monotonic() < deadline:
        status = requests.get(f"{urls[order]}/orders/{order_id}", timeout=5).json()["status"]
        if status == wanted:
            return
        time.sleep(0.3)
    pytest.fail(f"order {order_id} is {status}, not {wanted}, after {SAGA_TIMEOUT}s")


def _stock(urls) -> dict:
    return requests.get(f"{urls['inventory']}/stock/{SKU}", timeout=5).json()


def test_an_order_is_paid_shipped_and_completed(urls, order):
    placed = _place(urls, order, "tok_visa")
    assert placed["status"] == "PENDING"
    _wait_for_status(urls, order, placed["id"], "COMPLETED")
    payments = requests.get(f"{urls['payment']}/payments", params={"order_id": placed["id"]}, timeout=5).json()
    assert [p["status"] for p in payments["results"]] == ["SUCCEEDED"]
    shipments = requests.get(f"{urls['shipping']}/shipments", params={"order_id": placed["id"]}, timeout=5).json()
    assert len(shipments["results"]) == 1


def test_a_declined_order_is_cancelled_and_its_stock_released(urls, order):
    before = _stock(urls)
    placed = _place(urls, order, "tok_chargeDeclined")
    _wait_for_status(urls, order, placed["id"], "CANCELLED")
    deadline = time.monotonic() + SAGA_TIMEOUT  # inventory releases on its own consumer's time
    while _stock(urls)["reserved"] != before["reserved"] and time.monotonic() < deadline:
        time.sleep(0.3)
    assert _stock(urls)["available"] == before["available"]
