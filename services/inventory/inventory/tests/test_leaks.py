"""Reservations cannot leak (issue 9): confirmation by order.placed, the sweeper, compensation on order.cancelled."""

import threading
import uuid
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from inventory.handlers import HANDLERS, on_order_cancelled, on_order_placed
from inventory.models import Reservation, Stock
from inventory.services import ReservationConflict, release_expired, reserve_stock
from inventory.tests.factories import ReservationFactory, StockFactory
from musiccorp_common.events import build_envelope
from musiccorp_common.models import OutboxEvent
from musiccorp_common.testing.kafka import message_for, run_scripted

pytestmark = pytest.mark.django_db


def never_placed(order_id):
    return False


@pytest.fixture
def order_service(settings):
    """A real HTTP server in order's place: GET /orders/<id> is 200 for the ids in ``placed``, else 404."""
    placed: set[str] = set()

    class Orders(BaseHTTPRequestHandler):
        def do_GET(self):
            found = self.path.rstrip("/").rsplit("/", 1)[-1] in placed
            self.send_response(200 if found else 404)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args):
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Orders)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.ORDER_URL = f"http://127.0.0.1:{server.server_port}"
    yield placed
    server.shutdown()


def order_placed(order_id):
    data = {
        "order_id": str(order_id),
        "customer_email": "fan@example.com",
        "items": [{"sku": "CD001", "quantity": 2, "unit_price": "9.99"}],
        "total": "19.98",
        "currency": "EUR",
        "payment_token": "tok_visa",
    }
    return build_envelope("order.placed", data, producer="order", correlation_id="corr-op")


def order_cancelled(order_id, reason="payment_timeout"):
    data = {"order_id": str(order_id), "reason": reason}
    return build_envelope("order.cancelled", data, producer="order", correlation_id="corr-oc")


def aged(reservation, seconds):
    Reservation.objects.filter(pk=reservation.pk).update(created_at=timezone.now() - timedelta(seconds=seconds))
    return reservation


def test_order_placed_confirms_the_orders_reservations_only():
    mine, other = uuid.uuid4(), uuid.uuid4()
    ReservationFactory(order_id=mine, quantity=1)
    ReservationFactory(order_id=other, quantity=1)
    on_order_placed(order_placed(mine))
    assert Reservation.objects.get(order_id=mine).confirmed_at is not None
    assert Reservation.objects.get(order_id=other).confirmed_at is None


def test_order_placed_confirms_in_one_statement(django_assert_num_queries):
    order_id = uuid.uuid4()
    ReservationFactory(order_id=order_id, quantity=1, sku="CD103")
    ReservationFactory(order_id=order_id, quantity=2, sku="CD104")
    with django_assert_num_queries(1):  # no look for expired ones when the update confirmed any
        on_order_placed(order_placed(order_id))
    assert not Reservation.objects.filter(order_id=order_id, confirmed_at=None).exists()


def test_order_placed_after_the_sweeper_released_its_stock_is_reported(caplog):
    leaked = aged(ReservationFactory(quantity=2), 600)
    release_expired(300, order_committed=never_placed)
    on_order_placed(order_placed(leaked.order_id))
    leaked.refresh_from_db()
    assert (leaked.status, leaked.release_cause, leaked.confirmed_at) == ("RELEASED", "expired", None)
    assert f"order {leaked.order_id} was placed after its reservations expired" in caplog.text


def test_the_sweeper_releases_what_no_placed_order_confirmed_after_the_ttl():
    stock = StockFactory(sku="CD101", on_hand=10)
    leaked = aged(ReservationFactory(sku=stock.sku, quantity=3), 600)  # its order was never committed
    confirmed = aged(ReservationFactory(sku=stock.sku, quantity=2), 600)
    on_order_placed(order_placed(confirmed.order_id))
    young = ReservationFactory(sku=stock.sku, quantity=1)  # a placement in progress

    released = release_expired(300, order_committed=never_placed)

    assert released == [{"order_id": str(leaked.order_id), "items": [{"sku": "CD101", "quantity": 3}]}]
    assert Stock.objects.get(sku="CD101").reserved == 3
    leaked.refresh_from_db()
    assert (leaked.status, leaked.release_cause) == ("RELEASED", "expired")
    assert {r.order_id: r.status for r in Reservation.objects.exclude(pk=leaked.pk)} == {
        confirmed.order_id: "RESERVED",
        young.order_id: "RESERVED",
    }
    event = OutboxEvent.objects.get()
    assert (event.event_type, event.key) == ("stock.released", str(leaked.order_id))
    assert event.envelope["data"] == {"order_id": str(leaked.order_id), "items": [{"sku": "CD101", "quantity": 3}]}
    assert release_expired(300, order_committed=never_placed) == []  # nothing twice


def test_a_late_reserve_for_an_expired_reservation_is_refused():
    leaked = aged(ReservationFactory(quantity=2), 600)
    release_expired(300, order_committed=never_placed)
    with pytest.raises(ReservationConflict):
        reserve_stock(leaked.sku, leaked.order_id, 2)


@pytest.mark.django_db(transaction=True)  # the counters count on commit
def test_the_command_runs_the_sweeper_once_and_counts_it(client, order_service):
    stock = StockFactory(sku="CD102", on_hand=10)
    aged(ReservationFactory(sku=stock.sku, quantity=4), 60)
    late = aged(ReservationFactory(sku=stock.sku, quantity=1), 60)  # placed; its order.placed is only late
    order_service.add(str(late.order_id))
    out = StringIO()
    call_command("release_expired_reservations", "--ttl", "30", stdout=out)
    assert "released 4 units of 1 orders" in out.getvalue()
    assert Stock.objects.get(sku="CD102").reserved == 1
    late.refresh_from_db()
    assert late.status == "RESERVED"
    assert late.confirmed_at is not None
    metrics = client.get("/metrics").content.decode()
    assert 'musiccorp_stock_units_released_total{cause="expired"}' in metrics
    assert "musiccorp_stock_reservations_expired_total" in metrics


def test_order_cancelled_releases_what_the_order_still_holds():
    order_id = uuid.uuid4()
    ReservationFactory(order_id=order_id, sku=StockFactory(sku="CD103", on_hand=5).sku, quantity=5)
    on_order_cancelled(order_cancelled(order_id))
    assert Stock.objects.get(sku="CD103").reserved == 0
    assert Reservation.objects.get().release_cause == "order_cancelled"
    assert OutboxEvent.objects.get().event_type == "stock.released"


@pytest.mark.django_db(transaction=True)
def test_payment_failed_then_order_cancelled_releases_once():
    order_id = uuid.uuid4()
    ReservationFactory(order_id=order_id, sku=StockFactory(sku="CD104", on_hand=5).sku, quantity=2)
    data = {"order_id": str(order_id), "payment_id": str(uuid.uuid4()), "reason": "card_declined", "amount": "1.00"}
    failed = build_envelope("payment.failed", {**data, "currency": "EUR"}, producer="payment", correlation_id="corr-pf")
    run_scripted(HANDLERS, [message_for(failed, offset=0), message_for(order_cancelled(order_id, "card_declined"), offset=1)])
    assert Stock.objects.get(sku="CD104").reserved == 0
    assert OutboxEvent.objects.filter(event_type="stock.released").count() == 1


def test_the_sweeper_keeps_the_stock_when_order_cannot_say(settings):
    settings.ORDER_URL = "http://127.0.0.1:9"  # nothing listens: order is down
    from inventory.orders_client import order_committed

    held = aged(ReservationFactory(sku=StockFactory(sku="CD104", on_hand=5).sku, quantity=2), 600)
    assert release_expired(300, order_committed=order_committed) == []
    held.refresh_from_db()
    assert (held.status, held.confirmed_at) == ("RESERVED", None)
    assert Stock.objects.get(sku="CD104").reserved == 2
