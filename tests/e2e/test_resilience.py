"""The saga survives what production does to it: killed consumers, SIGTERM, poison messages.

Runs against the local stack (`stack` fixture) and restarts what it kills through the same
scripts as `make up`, so the stack is whole again when each test ends.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
import uuid
from pathlib import Path

import pytest
import requests
from confluent_kafka import Producer

pytestmark = pytest.mark.e2e

KAFKA = "127.0.0.1:9092"


@pytest.fixture
def pid_of(run_dir):
    return lambda component: int(Path(run_dir, "pids", f"{component}.pid").read_text())


@pytest.fixture
def restart_services(stack_script):
    """Start again what a test killed, as `make up` does."""
    return lambda: stack_script("services", "up")


def wait_until(predicate, timeout=60.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.3)
    pytest.fail(f"timed out after {timeout}s waiting for {what}")


def place(stack, sku="CD002", token="tok_visa") -> str:  # noqa: S107 -- the contract's test token
    body = {"customer_email": "resilience@example.com", "items": [{"sku": sku, "quantity": 1}], "payment_token": token}
    response = requests.post(f"{stack}/api/orders/orders", json=body, timeout=15)
    assert response.status_code == 201, response.text
    return response.json()["id"]


def status(stack, order_id) -> str:
    return requests.get(f"{stack}/api/orders/orders/{order_id}", timeout=15).json()["status"]


def shipments(stack, order_id) -> list:
    return requests.get(f"{stack}/api/shipping/shipments", params={"order_id": order_id}, timeout=15).json()["results"]


def test_killed_consumer_loses_nothing_and_duplicates_nothing(stack, pid_of, restart_services):
    os.kill(pid_of("shipping-consumer"), signal.SIGKILL)
    wait_until(
        lambda: subprocess.run(["kill", "-0", str(pid_of("shipping-consumer"))], capture_output=True).returncode != 0,
        what="the shipping consumer to die",
    )
    orders = [place(stack) for _ in range(5)]
    wait_until(lambda: all(status(stack, o) == "PAID" for o in orders), what="payments while shipping is down")
    restart_services()
    wait_until(lambda: all(status(stack, o) == "COMPLETED" for o in orders), what="the backlog to complete")
    assert all(len(shipments(stack, o)) == 1 for o in orders)


def test_sigterm_stops_a_consumer_cleanly_mid_stream(stack, pid_of, restart_services, run_dir):
    orders = [place(stack) for _ in range(5)]
    pid = pid_of("payment-consumer")
    os.kill(pid, signal.SIGTERM)
    wait_until(
        lambda: subprocess.run(["kill", "-0", str(pid)], capture_output=True).returncode != 0,
        timeout=30,
        what="the payment consumer to exit on SIGTERM",
    )
    log = Path(run_dir, "logs", "payment-consumer.log").read_text()
    assert '"consumer stopped"' in log, "the loop closed the consumer (left the group) before exiting"
    restart_services()
    wait_until(lambda: all(status(stack, o) == "COMPLETED" for o in orders), what="orders placed around the restart")
    for order_id in orders:
        payments = requests.get(f"{stack}/api/payments/payments", params={"order_id": order_id}, timeout=15).json()
        assert payments["count"] == 1


def test_poison_message_is_dead_lettered_and_the_saga_goes_on(stack, kafka_admin):
    marker = f"poison-{uuid.uuid4()}".encode()
    producer = Producer({"bootstrap.servers": KAFKA, **kafka_admin})
    producer.produce("order.placed", key=marker, value=b"{this is not an event")
    assert producer.flush(10) == 0
    order_id = place(stack)
    wait_until(lambda: status(stack, order_id) == "COMPLETED", what="an order placed after the poison message")

    from musiccorp_common.testing.kafka import read_all

    dead = [m for m in read_all(KAFKA, "order.placed.dlq", expect=1_000_000, timeout=5, config=kafka_admin) if m.key() == marker]
    assert len(dead) == 1
    headers = dict(dead[0].headers())
    assert headers["x-dlq-consumer-group"] == b"payment"
    assert b"not JSON" in headers["x-dlq-error"]
