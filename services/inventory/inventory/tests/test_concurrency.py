"""The database, not Python, prevents overselling: many orders racing for the last units."""

import threading
import uuid
from functools import partial

import pytest
from django.db import connection

from inventory.models import Reservation, Stock
from inventory.services import NotEnoughStock, release_order_lines, release_reservation, reserve_order, reserve_stock

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


def test_orders_racing_for_the_last_units_of_several_skus_win_whole_or_not_at_all():
    """Lines in opposite orders (no deadlock: stock rows are locked in SKU order); no order holds part of its lines."""
    Stock.objects.create(sku="CD010", on_hand=3)
    Stock.objects.create(sku="CD011", on_hand=3)
    orders = [(uuid.uuid4(), [("CD010", 1), ("CD011", 1)] if i % 2 else [("CD011", 1), ("CD010", 1)]) for i in range(10)]
    results = race([partial(reserve_order, order_id, lines) for order_id, lines in orders])

    assert sum(not isinstance(r, Exception) for r in results) == 3
    assert all(isinstance(r, NotEnoughStock) for r in results if isinstance(r, Exception)), results
    assert set(Stock.objects.values_list("reserved", flat=True)) == {3}
    per_order = {order_id: Reservation.objects.filter(order_id=order_id).count() for order_id, _ in orders}
    assert sorted(per_order.values()) == [0] * 7 + [2] * 3


def test_one_order_repeating_its_reservation_at_once_reserves_once():
    Stock.objects.create(sku="CD012", on_hand=50)
    Stock.objects.create(sku="CD013", on_hand=50)
    order_id = uuid.uuid4()
    results = race([partial(reserve_order, order_id, [("CD012", 2), ("CD013", 3)]) for _ in range(8)])

    assert not [r for r in results if isinstance(r, Exception)]
    assert sum(len(r.created) for r in results) == 2
    assert dict(Stock.objects.filter(sku__in=["CD012", "CD013"]).values_list("sku", "reserved")) == {"CD012": 2, "CD013": 3}


def test_an_order_release_racing_its_reservation_never_leaves_units_held():
    for _ in range(10):
        skus = [Stock.objects.create(sku=f"RACE{uuid.uuid4().hex[:6].upper()}", on_hand=5).sku for _ in range(2)]
        order_id = uuid.uuid4()
        race([partial(reserve_order, order_id, [(sku, 2) for sku in skus]), partial(release_order_lines, order_id, skus)])
        assert list(Stock.objects.filter(sku__in=skus).values_list("reserved", flat=True)) == [0, 0]
        assert set(Reservation.objects.filter(order_id=order_id).values_list("status", flat=True)) == {"RELEASED"}
