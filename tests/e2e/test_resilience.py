"""The saga survives what production does to it: killed consumers, SIGTERM, poison messages.

Runs against the local stack (`stack` fixture), whose supervisord (ci/stack/services) starts
again what a test kills, so the stack is whole again when each test ends.
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


SERVICES_SCRIPT = Path(__file__).resolve().parents[2] / "ci" / "stack" / "services"


def pid_of(program: str) -> int | None:
    """The pid of a supervisord program (`ci/stack/services pid`), None while it is not running."""
    proc = subprocess.run([str(SERVICES_SCRIPT), "pid", program], capture_output=True, text=True, check=False)
    return int(proc.stdout) if proc.returncode == 0 else None


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


def test_killed_consumer_loses_nothing_and_duplicates_nothing(stack):
    killed = pid_of("shipping-consumer")
    orders = [place(stack) for _ in range(5)]
    os.kill(killed, signal.SIGKILL)
    wait_until(lambda: pid_of("shipping-consumer") not in (None, killed), what="supervisord to start the consumer again")
    wait_until(lambda: all(status(stack, o) == "COMPLETED" for o in orders), what="the orders around the kill to complete")
    assert all(len(shipments(stack, o)) == 1 for o in orders)


def test_sigterm_stops_a_consumer_cleanly_mid_stream(stack, run_dir):
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
    wait_until(lambda: pid_of("payment-consumer") not in (None, pid), what="supervisord to start the consumer again")
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
    # Each group consuming order.placed parks its own copy, once: payment, and inventory (which
    # confirms reservations with it).
    groups = sorted(dict(m.headers())["x-dlq-consumer-group"] for m in dead)
    assert groups == [b"inventory", b"payment"]
    for message in dead:
        assert b"not JSON" in dict(message.headers())["x-dlq-error"]
