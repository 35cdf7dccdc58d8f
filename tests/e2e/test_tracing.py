"""One order is one trace and one correlation id, across HTTP and Kafka (contract: Events, headers).

Reads the saga's messages from the real broker and checks that every event of the order carries
the correlation id the client sent and a W3C traceparent of one and the same trace.
"""

from __future__ import annotations

import time
import uuid

import pytest
import requests

from musiccorp_common.testing.kafka import read_all

pytestmark = pytest.mark.e2e

KAFKA = "127.0.0.1:9092"
SAGA_TOPICS = ("order.placed", "payment.received", "shipment.dispatched")


def test_the_saga_of_one_order_is_one_trace_with_one_correlation_id(stack, kafka_admin):
    correlation_id = f"e2e-trace-{uuid.uuid4()}"
    body = {"customer_email": "trace@example.com", "items": [{"sku": "CD004", "quantity": 1}], "payment_token": "tok_visa"}
    response = requests.post(f"{stack}/api/orders/orders", json=body, headers={"X-Correlation-ID": correlation_id}, timeout=15)
    assert response.status_code == 201, response.text
    assert response.headers["X-Correlation-ID"] == correlation_id
    order_id = response.json()["id"]
    deadline = time.monotonic() + 60
    while requests.get(f"{stack}/api/orders/orders/{order_id}", timeout=15).json()["status"] != "COMPLETED":
        assert time.monotonic() < deadline, "the order did not complete"
        time.sleep(0.2)

    events = {}
    for topic in SAGA_TOPICS:
        mine = [m for m in read_all(KAFKA, topic, expect=10**9, timeout=3, config=kafka_admin) if m.key() == order_id.encode()]
        assert len(mine) == 1, f"{topic}: {len(mine)} messages for the order"
        events[topic] = dict(mine[0].headers())
    for topic, headers in events.items():
        assert headers["x-correlation-id"].decode() == correlation_id, topic
        version, trace_id, _span_id, _flags = headers["traceparent"].decode().split("-")
        assert version == "00"
        assert len(trace_id) == 32, topic
    trace_ids = {headers["traceparent"].decode().split("-")[1] for headers in events.values()}
    assert len(trace_ids) == 1, f"the saga's events belong to several traces: {trace_ids}"
