"""No saga stays open unknown (issue 9): PENDING orders expire, stuck orders are counted, placement is bounded."""

import json
import socket
import threading
import time
import urllib.request
from datetime import timedelta
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from musiccorp_common.events.health_server import serve_health
from musiccorp_common.models import OutboxEvent
from musiccorp_common.testing.http import by_path
from orders import clients
from orders.clients import CatalogClient, InventoryClient
from orders.management.commands.consume import Command as ConsumeCommand
from orders.metrics import StuckOrdersCollector
from orders.models import Order, OrderStatus
from orders.services import expire_pending_orders, stuck_order_counts
from orders.tests.factories import OrderFactory


def aged(order, *, created=0, updated=0):
    now = timezone.now()
    Order.objects.filter(pk=order.pk).update(
        created_at=now - timedelta(seconds=created), updated_at=now - timedelta(seconds=updated)
    )
    return order


@pytest.mark.django_db
def test_pending_orders_past_the_payment_timeout_are_cancelled_with_order_cancelled():
    old = aged(OrderFactory(), created=1000)
    young = aged(OrderFactory(), created=10)
    paid = aged(OrderFactory(status=OrderStatus.PAID), created=1000)

    assert expire_pending_orders(900) == [str(old.id)]

    statuses = dict(Order.objects.values_list("id", "status"))
    assert statuses == {old.id: "CANCELLED", young.id: "PENDING", paid.id: "PAID"}
    assert Order.objects.get(pk=old.pk).cancel_reason == "payment_timeout"
    event = OutboxEvent.objects.get()
    assert (event.event_type, event.key) == ("order.cancelled", str(old.id))
    assert event.envelope["data"] == {"order_id": str(old.id), "reason": "payment_timeout"}
    assert expire_pending_orders(900) == []  # cancelled once


@pytest.mark.django_db
def test_the_expire_orders_command_uses_the_setting(settings):
    settings.ORDER_PAYMENT_TIMEOUT_SECONDS = 60
    aged(OrderFactory(), created=61)
    out = StringIO()
    call_command("expire_orders", stdout=out)
    assert "cancelled 1 orders PENDING for more than 60 s" in out.getvalue()
    assert Order.objects.get().status == "CANCELLED"


@pytest.mark.django_db
def test_stuck_orders_are_counted_by_status_past_their_deadlines(settings):
    settings.ORDER_PENDING_DEADLINE_SECONDS, settings.ORDER_PAID_DEADLINE_SECONDS = 600, 1800
    aged(OrderFactory(), created=601)
    aged(OrderFactory(), created=10)
    aged(OrderFactory(status=OrderStatus.PAID), created=4000, updated=1801)
    aged(OrderFactory(status=OrderStatus.PAID), created=4000, updated=60)
    aged(OrderFactory(status=OrderStatus.COMPLETED), created=9000, updated=9000)
    assert stuck_order_counts() == {"PENDING": 1, "PAID": 1}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.django_db(transaction=True)
def test_the_consumers_metrics_carry_the_stuck_orders_read_at_scrape_time():
    assert any(isinstance(c, StuckOrdersCollector) for c in ConsumeCommand.collectors)
    port = _free_port()
    server = serve_health(
        "127.0.0.1", port, time.monotonic, lambda: True, settings.PROMETHEUS_MULTIPROC_DIR, collectors=ConsumeCommand.collectors
    )
    try:
        url = f"http://127.0.0.1:{port}/metrics"
        assert 'musiccorp_orders_stuck{status="PENDING"} 0.0' in urllib.request.urlopen(url).read().decode()
        aged(OrderFactory(), created=settings.ORDER_PENDING_DEADLINE_SECONDS + 5)
        body = urllib.request.urlopen(url).read().decode()
    finally:
        server.shutdown()
    assert 'musiccorp_orders_stuck{status="PENDING"} 1.0' in body
    assert 'musiccorp_orders_stuck{status="PAID"} 0.0' in body


ALBUM = {"sku": "CD001", "title": "Kind of Blue", "artist": "Miles Davis", "price": "14.99", "currency": "EUR"}


@pytest.mark.django_db
def test_a_stalling_inventory_gets_a_503_within_the_budget_and_the_reservation_released(
    api_client, stub_peer, monkeypatch, settings
):
    settings.ORDER_PEER_BUDGET_SECONDS, settings.ORDER_RELEASE_BUDGET_SECONDS = 1.0, 1.0
    # One lookup, one reservation and one release per order (issue 10).
    lookup = "/albums?sku=CD001&page_size=1"
    routes = by_path({lookup: (200, {"count": 1, "results": [ALBUM]}), "/reservations/release": (200, {"released": []})})
    stalled = threading.Event()

    def answer(request):
        if request.path == "/reservations":
            stalled.wait(10)  # far beyond the budget; the read timeout (5 s) alone would outlast it too
            return 200, {}
        return routes(request)

    peer = stub_peer(answer)
    monkeypatch.setattr(clients, "catalog_client", lambda: CatalogClient(peer.url))
    monkeypatch.setattr(clients, "inventory_client", lambda: InventoryClient(peer.url))
    started = time.monotonic()
    try:
        body = {"customer_email": "fan@example.com", "items": [{"sku": "CD001", "quantity": 1}], "payment_token": "tok_visa"}
        response = api_client.post("/orders", json.dumps(body), content_type="application/json")
    finally:
        stalled.set()
    elapsed = time.monotonic() - started
    assert response.status_code == 503
    assert elapsed < 2.5  # the budget plus the releases', not gunicorn's 30 s
    reserve = next(r for r in peer.requests if r.path == "/reservations")
    release = next(r for r in peer.requests if r.path == "/reservations/release")
    assert release.body == {"order_id": reserve.body["order_id"], "skus": ["CD001"]}
    assert not Order.objects.exists()


def test_the_budgets_stay_below_the_worker_timeout():
    from musiccorp_common import gunicorn_conf

    assert gunicorn_conf.timeout - 5 > settings.ORDER_PEER_BUDGET_SECONDS + settings.ORDER_RELEASE_BUDGET_SECONDS
