"""Fixtures of the end-to-end suites: a few orders placed through the gateway and completed."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

import pytest
import requests

SAGA_TIMEOUT = 60


@dataclass(frozen=True)
class PlacedOrder:
    order_id: str
    correlation_id: str


def _place(gateway: str, correlation_id: str) -> str:
    body = {"customer_email": "observe@example.com", "items": [{"sku": "CD004", "quantity": 1}], "payment_token": "tok_visa"}
    response = requests.post(f"{gateway}/api/orders/orders", json=body, headers={"X-Correlation-ID": correlation_id}, timeout=15)
    assert response.status_code == 201, response.text
    return response.json()["id"]


def _wait_completed(gateway: str, order_id: str) -> None:
    deadline = time.monotonic() + SAGA_TIMEOUT
    while (status := requests.get(f"{gateway}/api/orders/orders/{order_id}", timeout=15).json()["status"]) != "COMPLETED":
        assert time.monotonic() < deadline, f"order {order_id} is {status} after {SAGA_TIMEOUT}s"
        time.sleep(0.2)


@pytest.fixture(scope="session")
def completed_orders(stack) -> list[PlacedOrder]:
    """Three orders placed through the gateway, each with its own X-Correlation-ID, all COMPLETED."""
    orders = []
    for _ in range(3):
        correlation_id = f"e2e-observe-{uuid.uuid4()}"
        orders.append(PlacedOrder(_place(stack, correlation_id), correlation_id))
    for order in orders:
        _wait_completed(stack, order.order_id)
    return orders
