"""One order is one trace in the local trace backend, spanning all five services over HTTP and Kafka.

The services export over OTLP/HTTP to the stack's receiver (ci/stack/otlp_zipkin.py), which hands
the spans to Zipkin; the test reads them back through Zipkin's query API, as its UI does, finding
each order's trace by the correlation id the client sent (the consumers' and producers' spans carry
it as ``musiccorp.correlation_id``).
"""

from __future__ import annotations

import time
from collections import Counter

import pytest
import requests

pytestmark = pytest.mark.e2e

ZIPKIN = "http://127.0.0.1:9411"
SERVICES = {"catalog", "inventory", "order", "payment", "shipping"}
# The batch span processors export every 5 s; consumers' spans come a little later than the order.
EXPORT_TIMEOUT = 60


def _traces_of(correlation_id: str) -> list[list[dict]]:
    response = requests.get(
        f"{ZIPKIN}/api/v2/traces",
        params={"annotationQuery": f"musiccorp.correlation_id={correlation_id}", "lookback": 3_600_000, "limit": 10},
        timeout=15,
    )
    assert response.status_code == 200, response.text
    return response.json()


# The saga's Kafka hand-offs every complete trace holds: (producing service, topic, consuming service).
SAGA_HANDOFFS = {
    ("order", "order.placed", "payment"),
    ("payment", "payment.received", "shipping"),
    ("shipping", "shipment.dispatched", "order"),
}


def _service(span: dict) -> str:
    return span["localEndpoint"]["serviceName"]


def _is_complete(trace: list[dict]) -> bool:
    """Spans of all five services, every span's parent among them, and the consumer span of each saga hand-off.

    Each process exports on its own timer, so a trace fills in over seconds: a consumer's span can
    be stored before the producer span that is its parent.
    """
    ids = {span["id"] for span in trace}
    consumed = {
        (span["tags"].get("messaging.destination.name"), _service(span)) for span in trace if span.get("kind") == "CONSUMER"
    }
    return (
        {_service(span) for span in trace} >= SERVICES
        and all(span.get("parentId", span["id"]) in ids for span in trace)
        and all((topic, consumer) in consumed for _, topic, consumer in SAGA_HANDOFFS)
    )


def _complete_trace(correlation_id: str) -> list[list[dict]]:
    """The order's traces once one of them is complete (or whatever there is at the deadline)."""
    deadline = time.monotonic() + EXPORT_TIMEOUT
    while True:
        traces = _traces_of(correlation_id)
        if any(_is_complete(trace) for trace in traces) or time.monotonic() > deadline:
            return traces
        time.sleep(1)


def test_each_order_is_one_trace_with_spans_of_all_five_services(completed_orders):
    trace_ids = set()
    for order in completed_orders:
        traces = _complete_trace(order.correlation_id)
        assert len(traces) == 1, f"{order.correlation_id}: {len(traces)} traces"
        spans = traces[0]
        per_service = Counter(_service(span) for span in spans)
        print(f"order {order.order_id}: {len(spans)} spans, per service {dict(sorted(per_service.items()))}")
        assert set(per_service) >= SERVICES, f"services in the trace: {sorted(per_service)}"
        trace_ids.add(spans[0]["traceId"])
    assert len(trace_ids) == len(completed_orders), "two orders share a trace"


def test_the_trace_links_kafka_producers_to_consumers_and_http_clients_to_servers(completed_orders):
    spans = _complete_trace(completed_orders[0].correlation_id)[0]
    by_id = {span["id"]: span for span in spans}

    def parent(span):
        return by_id.get(span.get("parentId", ""))

    # Every consumer span's parent is the producer span of the event it handles, in another service.
    handoffs = set()
    for span in spans:
        if span.get("kind") != "CONSUMER":
            continue
        producer = parent(span)
        assert producer is not None, f"{span['name']} in {_service(span)}: its parent is not in the trace"
        assert producer.get("kind") == "PRODUCER", f"{span['name']} in {_service(span)}: parent {producer}"
        topic = span["tags"]["messaging.destination.name"]
        assert producer["tags"]["messaging.destination.name"] == topic
        handoffs.add((_service(producer), topic, _service(span)))
    for handoff in sorted(SAGA_HANDOFFS):
        assert handoff in handoffs, f"no {handoff[1]} from {handoff[0]} to {handoff[2]} in {sorted(handoffs)}"

    # The order service's calls to catalog and inventory: client spans whose children are those services' server spans.
    called = set()
    for span in spans:
        caller = parent(span)
        if span.get("kind") == "SERVER" and caller and caller.get("kind") == "CLIENT" and _service(caller) == "order":
            called.add(_service(span))
    assert called >= {"catalog", "inventory"}, f"services order called over HTTP in the trace: {sorted(called)}"
