"""The database, not Python, prevents overselling: many orders racing for the last units."""

import threading
import uuid
from functools import partial

import pytest
from django.db import connection

from inventory.models import Reservation, Stock
from inventory.services import NotEnoughStock, release_reservation, reserve_stock

pytestmark = pytest.mark.django_db(transaction=True)


def race(calls: list) -> list:
    """Run the calls at once, one thread (and so one database connection) each; returns results or exceptions."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait(timeout=30)
            results[index] = call()
        except Exception as exc:
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_twenty_orders_for_the_last_five_units_exactly_five_win():
    Stock.objects.create(sku="CD001", on_hand=5)
    results = race([lambda: reserve_stock("CD001", uuid.uuid4(), 1) for _ in range(20)])

    won = [r for r in results if not isinstance(r, Exception)]
    lost = [r for r in results if isinstance(r, Exception)]
    assert len(won) == 5
    assert len(lost) == 15
    assert all(isinstance(r, NotEnoughStock) for r in lost), lost
    stock = Stock.objects.get(sku="CD001")
    assert stock.reserved == stock.on_hand == 5
    assert Reservation.objects.count() == 5


def test_one_order_repeating_its_reserve_at_once_reserves_once():
    Stock.objects.create(sku="CD002", on_hand=50)
    order_id = uuid.uuid4()
    results = race([lambda: reserve_stock("CD002", order_id, 3) for _ in range(10)])

    assert not [r for r in results if isinstance(r, Exception)]
    assert sum(r.created for r in results) == 1
    assert Stock.objects.get(sku="CD002").reserved == 3
    assert Reservation.objects.filter(order_id=order_id).count() == 1


def test_a_release_racing_its_reserve_never_leaves_units_held():
    # The order service gave up on a reserve (timeout) and releases while the reserve is still running.
    for _ in range(10):
        stock = Stock.objects.create(sku=f"RACE{uuid.uuid4().hex[:6].upper()}", on_hand=5)
        order_id = uuid.uuid4()
        race([partial(reserve_stock, stock.sku, order_id, 2), partial(release_reservation, stock.sku, order_id)])
        assert Stock.objects.get(sku=stock.sku).reserved == 0
        assert Reservation.objects.get(order_id=order_id).status == "RELEASED"
