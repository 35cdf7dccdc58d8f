"""Fixtures of the end-to-end suites: a few orders placed through the gateway and completed, and
which order service the stack runs.

ORDER_IMPL (python, go or both: `make e2e ORDER_IMPL=...`, docs/local-stack.md) is the setting the
stack was started with (ci/e2e starts it with the same variable). With go, /api/orders/ is
order-go's (on :5006) and no Django order process runs; with both, /api/orders/ is the Django
service's and /api/order-go/ order-go's, and the order scenarios (``order_route``) run through each.
"""

from __future__ import annotations

import os
import subprocess
import time
import uuid
from dataclasses import dataclass

import pytest
import requests

SAGA_TIMEOUT = 60
ORDER_IMPL = os.environ.get("ORDER_IMPL") or "python"
# The gateway routes that place orders, per setting: the first is /api/orders/.
ORDER_ROUTES = {"python": ["/api/orders"], "go": ["/api/orders"], "both": ["/api/orders", "/api/order-go"]}
# The order service's own port behind /api/orders/ (the Django service's, or order-go's with go alone).
ORDER_DIRECT = "http://127.0.0.1:5006" if ORDER_IMPL == "go" else "http://127.0.0.1:5003"
SERVICES_SCRIPT = os.path.join(os.path.dirname(__file__), "..", "..", "ci", "stack", "services")

if ORDER_IMPL not in ORDER_ROUTES:
    raise pytest.UsageError(f"ORDER_IMPL={ORDER_IMPL!r} is not one of python, go, both")

django_order_only = pytest.mark.skipif(
    ORDER_IMPL == "go",
    reason="the Django order service's own pages (admin, its login throttle): ORDER_IMPL=go runs no Django order "
    "web process; ORDER_IMPL=both checks its admin on an order placed through order-go",
)


def pytest_generate_tests(metafunc):
    """``order_route``: each gateway route that places orders in this setting (two with both)."""
    if "order_route" in metafunc.fixturenames:
        routes = ORDER_ROUTES[ORDER_IMPL]
        metafunc.parametrize("order_route", routes, ids=[route.rsplit("/", 1)[1] for route in routes], scope="module")


_checked_programs: list[str] = []


@pytest.fixture(autouse=True)
def order_impl_matches_the_stack(request):
    """The local stack runs the order programs ORDER_IMPL says (a stack left in another setting
    would make every order test prove the wrong thing). Checked once, by the first test on the stack."""
    if _checked_programs or os.environ.get("MUSICCORP_E2E_GATEWAY_URL") or "stack" not in request.fixturenames:
        return
    request.getfixturevalue("stack")
    programs = subprocess.run([SERVICES_SCRIPT, "programs"], capture_output=True, text=True, timeout=60, check=True)
    names = set(programs.stdout.split()) & {"order", "order-go"}
    running = {"python": {"order"}, "go": {"order-go"}, "both": {"order", "order-go"}}[ORDER_IMPL]
    assert names == running, f"ORDER_IMPL={ORDER_IMPL} but the stack runs {sorted(names)}: make up ORDER_IMPL=..."
    _checked_programs.extend(sorted(names))


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
