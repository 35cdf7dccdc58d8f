"""Inventory's business rules: reserve, release and ship stock, and set stock levels.

Views and event handlers both call these functions. Each runs in one transaction (its own, or
the consumer's, which also records the event as processed). The guarantees come from the
database, not from Python:

- Never oversold: a reserve is one conditional UPDATE (``reserved + q`` only where
  ``on_hand - reserved >= q``), and the CHECK constraint ``reserved <= on_hand`` backs it up.
  Under READ COMMITTED, concurrent UPDATEs of one row queue on its lock and each re-checks the
  condition against the row the previous one committed.
- Idempotent per (order_id, sku): the reservation's unique constraint. A concurrent repeat waits
  on the first insert and then finds the committed reservation instead of reserving again.
- No deadlocks: every function takes reservation rows first, then stock rows in SKU order.
- No leaks (issue 9): a release with nothing to release leaves a tombstone, so a reserve that
  arrives later (a retry, a request that outlived its caller) is refused; order.placed confirms
  the order's reservations; the sweeper (``release_expired``) releases what stayed unconfirmed
  past RESERVATION_TTL_SECONDS, because order never committed that order.

An order reserves all its lines at once (``reserve_order``, issue 10): a fixed number of SQL
statements whatever the number of lines, all lines or none, with the same rules per line.
"""

import logging
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from inventory.metrics import (
    RESERVATIONS_CONFIRMED,
    RESERVATIONS_EXPIRED,
    STOCK_RESERVATIONS,
    STOCK_UNITS_RELEASED,
    STOCK_UNITS_SHIPPED,
)
from inventory.models import MAX_RESERVE_QUANTITY, Reservation, Stock
from musiccorp_common.events import publish_event

logger = logging.getLogger("musiccorp.inventory.services")

# reserve_order's and release_order_lines' statements (tables inventory_reservation and
# inventory_stock, tested against the models' db_table): each takes all lines at once, and the
# inserts go in SKU order, so that two of them for one order (a reserve and its release, or a
# repeat) wait on each other's first common key instead of deadlocking on two.
_INSERT_RESERVATIONS = """
    INSERT INTO inventory_reservation (order_id, sku, quantity, status, release_cause, created_at, updated_at)
    SELECT %s, line.sku, line.quantity, 'RESERVED', '', now(), now()
    FROM unnest(%s::varchar[], %s::integer[]) AS line(sku, quantity)
    ORDER BY line.sku
    ON CONFLICT (order_id, sku) DO NOTHING
    RETURNING sku"""
_SELECT_REPEATS = "SELECT sku, quantity, status FROM inventory_reservation WHERE order_id = %s AND sku = ANY(%s)"
_LOCK_STOCK = "SELECT sku, on_hand - reserved FROM inventory_stock WHERE sku = ANY(%s) ORDER BY sku FOR UPDATE"
_RESERVE_STOCK = """
    UPDATE inventory_stock AS stock SET reserved = stock.reserved + line.quantity
    FROM unnest(%s::varchar[], %s::integer[]) AS line(sku, quantity)
    WHERE stock.sku = line.sku AND stock.on_hand - stock.reserved >= line.quantity"""
_INSERT_TOMBSTONES = """
    INSERT INTO inventory_reservation (order_id, sku, quantity, status, release_cause, created_at, updated_at)
    SELECT %s, stock.sku, 0, 'RELEASED', 'request', now(), now()
    FROM inventory_stock AS stock WHERE stock.sku = ANY(%s)
    ORDER BY stock.sku
    ON CONFLICT (order_id, sku) DO NOTHING"""


class StockNotFound(LookupError):
    """No stock record for the SKU."""

    def __init__(self, sku: str):
        super().__init__(f"No stock for {sku}.")
        self.sku = sku


class NotEnoughStock(Exception):
    """Fewer units are available than the reservation asks for."""

    def __init__(self, sku: str, available: int):
        super().__init__(f"Not enough stock for {sku}: {available} available.")
        self.sku, self.available = sku, available


class ReservationConflict(Exception):
    """A repeated reserve does not match the reservation the order already has."""

    def __init__(self, message: str, sku: str = ""):
        super().__init__(message)
        self.sku = sku


class StockBelowReserved(ValueError):
    """A stock level was set below the units orders have reserved."""


@dataclass(frozen=True)
class ReserveResult:
    stock: Stock
    order_id: uuid.UUID
    quantity: int
    created: bool


@dataclass(frozen=True)
class OrderReserveResult:
    order_id: uuid.UUID
    lines: list[tuple[str, int]]
    created: list[str]


@dataclass(frozen=True)
class ReleaseResult:
    stock: Stock
    order_id: uuid.UUID
    released: int


def get_stock(sku: str) -> Stock:
    try:
        return Stock.objects.get(sku=sku)
    except Stock.DoesNotExist:
        raise StockNotFound(sku) from None


@contextmanager
def _counting_refusals() -> Iterator[None]:
    """Count a refused reservation (short stock, a conflicting repeat) by its reason, and let it through."""
    try:
        yield
    except NotEnoughStock:
        STOCK_RESERVATIONS.labels("insufficient").inc()
        raise
    except ReservationConflict:
        STOCK_RESERVATIONS.labels("conflict").inc()
        raise


def reserve_stock(sku: str, order_id: uuid.UUID, quantity: int) -> ReserveResult:
    """Reserve ``quantity`` units of ``sku`` for an order; a repeat with the same quantity reserves nothing more."""
    if not 1 <= quantity <= MAX_RESERVE_QUANTITY:
        raise ValueError(f"quantity must be between 1 and {MAX_RESERVE_QUANTITY}, not {quantity}")
    with _counting_refusals():
        result = _reserve(sku, uuid.UUID(str(order_id)), quantity)
    STOCK_RESERVATIONS.labels("reserved" if result.created else "repeated").inc()
    return result


def reserve_order(order_id: uuid.UUID, lines: list[tuple[str, int]]) -> OrderReserveResult:
    """Reserve every (sku, quantity) line for the order, or none of them.

    Each line follows reserve_stock's rules: a repeat with the same quantity reserves nothing
    more, a released (order, sku) or another quantity is a ReservationConflict. Raises
    StockNotFound for the first unknown SKU, else ReservationConflict for the first mismatching
    repeat, else NotEnoughStock for the first short line (request order); then nothing changed.
    Four statements at most: the reservations inserted in one, repeats read in one, the stock
    rows locked in SKU order in one, and updated in one.
    """
    order_id = uuid.UUID(str(order_id))
    skus = [sku for sku, _ in lines]
    if len(set(skus)) != len(skus):
        raise ValueError("each SKU at most once per order")
    if any(not 1 <= quantity <= MAX_RESERVE_QUANTITY for _, quantity in lines):
        raise ValueError(f"quantities must be between 1 and {MAX_RESERVE_QUANTITY}")
    with _counting_refusals():
        result = _reserve_lines(order_id, lines)
    STOCK_RESERVATIONS.labels("reserved").inc(len(result.created))
    STOCK_RESERVATIONS.labels("repeated").inc(len(lines) - len(result.created))
    return result


def release_order_lines(order_id: uuid.UUID, skus: list[str]) -> list[dict]:
    """Give back the order's reservations of ``skus`` in one transaction; returns the lines released.

    Final, like release_reservation: a listed (known) SKU the order holds nothing of gets a
    tombstone, so a reserve arriving later for it (a retried or late reserve_order) is refused.
    Unknown SKUs are skipped.
    """
    order_id = uuid.UUID(str(order_id))
    with transaction.atomic():
        # Tombstones first: the insert waits for a concurrent reserve of the same (order, sku) to
        # commit and then conflicts, so the lock below sees and releases that reservation too.
        with connection.cursor() as cursor:
            cursor.execute(
                _INSERT_TOMBSTONES,
                [order_id, list(skus)],
            )
        reservations = list(
            Reservation.objects.select_for_update()
            .filter(order_id=order_id, sku__in=list(skus), status=Reservation.Status.RESERVED)
            .order_by("sku")
        )
        items = _release(reservations, cause="request")
        if items:
            publish_event("stock.released", str(order_id), {"order_id": str(order_id), "items": items})
        return items


def release_reservation(sku: str, order_id: uuid.UUID) -> ReleaseResult:
    """Give back the order's reservation of ``sku`` (0 released when there is none left to release).

    Final: when the order holds no reservation of ``sku`` yet, a tombstone is left, so a reserve
    that arrives later for this (order, sku) is refused instead of reserving for good.
    """
    order_id = uuid.UUID(str(order_id))
    with transaction.atomic():
        get_stock(sku)
        reservations = _lock_reserved(order_id, sku=sku)
        if not reservations and not _leave_tombstone(order_id, sku):
            # A concurrent reserve committed first (the tombstone's insert waited for it): release that.
            reservations = _lock_reserved(order_id, sku=sku)
        items = _release(reservations, cause="request")
        if items:
            publish_event("stock.released", str(order_id), {"order_id": str(order_id), "items": items})
        return ReleaseResult(get_stock(sku), order_id, sum(item["quantity"] for item in items))


def release_order(order_id: uuid.UUID, *, cause: str = "payment_failed") -> list[dict]:
    """Give back every reservation the order still holds (its payment failed, it was cancelled); returns the lines released."""
    order_id = uuid.UUID(str(order_id))
    # Only its event handler calls it, in the consumer's transaction (a savepoint per message),
    # and lets any error through: no savepoint of its own needed (one round trip pair less).
    with transaction.atomic(savepoint=False):
        items = _release(_lock_reserved(order_id), cause=cause)
        if items:
            publish_event("stock.released", str(order_id), {"order_id": str(order_id), "items": items})
        return items


def confirm_order(order_id: uuid.UUID) -> int:
    """order.placed: the order committed, so its reservations are not the sweeper's; returns how many were confirmed.

    A reservation the sweeper released already (the event came later than RESERVATION_TTL_SECONDS)
    is logged and counted: that order's stock is no longer held (docs/events.md).
    """
    order_id = uuid.UUID(str(order_id))
    held = Reservation.objects.filter(order_id=order_id, status=Reservation.Status.RESERVED, confirmed_at__isnull=True)
    confirmed = held.update(confirmed_at=timezone.now())
    # The sweeper releases an order's reservations together, so none expired when any was held.
    expired = not confirmed and _expired(order_id)
    if expired:
        logger.error("order %s was placed after its reservations expired; its stock is not held", order_id)
    transaction.on_commit(lambda: RESERVATIONS_CONFIRMED.labels("expired" if expired else "confirmed").inc())
    return confirmed


def _expired(order_id: uuid.UUID) -> bool:
    return Reservation.objects.filter(order_id=order_id, status=Reservation.Status.RELEASED, release_cause="expired").exists()


def release_expired(ttl_seconds: float, *, order_committed: Callable[[uuid.UUID], bool], limit: int = 1000) -> list[dict]:
    """The sweeper: release RESERVED reservations unconfirmed for ``ttl_seconds``, one transaction per order.

    ``order_committed(order_id)`` (order's answer, see inventory.orders_client) decides first: a
    committed order's reservations are confirmed instead (its order.placed is only late), an
    order that cannot be looked up is left for the next run. Each release publishes
    stock.released in its transaction. Returns one ``{"order_id", "items"}`` per order released
    (at most ``limit`` orders looked at per call).
    """
    cutoff = timezone.now() - timedelta(seconds=ttl_seconds)
    order_ids = list(
        Reservation.objects.filter(status=Reservation.Status.RESERVED, confirmed_at__isnull=True, created_at__lt=cutoff)
        .order_by("order_id")
        .values_list("order_id", flat=True)
        .distinct()[:limit]
    )
    released = []
    for order_id in order_ids:
        try:
            committed = order_committed(order_id)
        except Exception as exc:  # any doubt means: keep the stock held, ask again next run
            logger.warning("order %s: cannot tell whether it was placed (%s); its reservations stay", order_id, exc)
            continue
        if committed:
            Reservation.objects.filter(order_id=order_id, status=Reservation.Status.RESERVED, confirmed_at__isnull=True).update(
                confirmed_at=timezone.now()
            )
            logger.info("order %s exists: its unconfirmed reservations are confirmed, not released", order_id)
            continue
        with transaction.atomic():
            # Locked and filtered again: order.placed may have confirmed them meanwhile.
            reservations = [r for r in _lock_reserved(order_id) if r.confirmed_at is None and r.created_at < cutoff]
            items = _release(reservations, cause="expired")
            if not items:
                continue
            publish_event("stock.released", str(order_id), {"order_id": str(order_id), "items": items})
            count = len(items)
            transaction.on_commit(lambda count=count: RESERVATIONS_EXPIRED.inc(count))
        logger.warning("released the expired reservations of order %s: %s", order_id, items)
        released.append({"order_id": str(order_id), "items": items})
    return released


def ship_order(order_id: uuid.UUID) -> list[dict]:
    """The order left the warehouse: its reserved units leave ``on_hand`` and its reservations are SHIPPED."""
    order_id = uuid.UUID(str(order_id))
    items = []
    # Only its event handler calls it, in the consumer's transaction (a savepoint per message),
    # and lets any error through: no savepoint of its own needed (one round trip pair less).
    with transaction.atomic(savepoint=False):
        for reservation in _lock_reserved(order_id):
            Stock.objects.filter(sku=reservation.sku).update(
                on_hand=F("on_hand") - reservation.quantity, reserved=F("reserved") - reservation.quantity
            )
            _set_status(reservation, Reservation.Status.SHIPPED)
            items.append({"sku": reservation.sku, "quantity": reservation.quantity})
        shipped = sum(item["quantity"] for item in items)
        transaction.on_commit(lambda: STOCK_UNITS_SHIPPED.inc(shipped))
    return items


def set_stock_level(sku: str, on_hand: int, *, create: bool) -> tuple[Stock, bool]:
    """Set the units on hand (staff); creates the stock record when ``create``. Returns (stock, created)."""
    with transaction.atomic():
        stock = Stock.objects.select_for_update().filter(sku=sku).first()
        if stock is None:
            if not create:
                raise StockNotFound(sku)
            try:
                with transaction.atomic():
                    return Stock.objects.create(sku=sku, on_hand=on_hand), True
            except IntegrityError:
                stock = Stock.objects.select_for_update().get(sku=sku)  # created meanwhile by another request
        if on_hand < stock.reserved:
            raise StockBelowReserved(f"on_hand {on_hand} is below the {stock.reserved} units reserved for {sku}.")
        stock.on_hand = on_hand
        stock.save(update_fields=["on_hand", "updated_at"])
        return stock, False


def _reserve(sku: str, order_id: uuid.UUID, quantity: int) -> ReserveResult:
    with transaction.atomic():
        get_stock(sku)
        reservation, created = _insert_reservation(sku, order_id, quantity)
        if not created:
            _check_repeat(reservation, quantity)
            return ReserveResult(get_stock(sku), order_id, quantity, created=False)
        updated = Stock.objects.filter(sku=sku, on_hand__gte=F("reserved") + quantity).update(reserved=F("reserved") + quantity)
        if not updated:
            # Raising rolls the reservation insert back with the rest of the transaction.
            raise NotEnoughStock(sku, get_stock(sku).available)
        return ReserveResult(get_stock(sku), order_id, quantity, created=True)


def _reserve_lines(order_id: uuid.UUID, lines: list[tuple[str, int]]) -> OrderReserveResult:
    """reserve_order's transaction: reservation rows first, then stock rows in SKU order (as everywhere here)."""
    skus, quantities = [sku for sku, _ in lines], [quantity for _, quantity in lines]
    wanted = dict(lines)
    with transaction.atomic(), connection.cursor() as cursor:
        # A concurrent repeat of this order's reserve waits here on the unique constraint, then conflicts.
        cursor.execute(
            _INSERT_RESERVATIONS,
            [order_id, skus, quantities],
        )
        created = {row[0] for row in cursor.fetchall()}
        repeats = {}
        if len(created) < len(skus):
            cursor.execute(
                _SELECT_REPEATS,
                [order_id, [sku for sku in skus if sku not in created]],
            )
            repeats = {sku: (quantity, status) for sku, quantity, status in cursor.fetchall()}
        cursor.execute(
            _LOCK_STOCK,
            [skus],
        )
        available = dict(cursor.fetchall())
        # Raising rolls the inserted reservations back with the rest of the transaction.
        _check_lines(order_id, lines, available, repeats)
        new_lines = [(sku, quantity) for sku, quantity in lines if sku in created]
        if new_lines:
            cursor.execute(
                _RESERVE_STOCK,
                [[sku for sku, _ in new_lines], [quantity for _, quantity in new_lines]],
            )
            if cursor.rowcount != len(new_lines):  # pragma: no cover -- the rows are locked and were checked above
                raise NotEnoughStock(new_lines[0][0], available[new_lines[0][0]])
    return OrderReserveResult(order_id, [(sku, wanted[sku]) for sku in skus], [sku for sku in skus if sku in created])


def _check_lines(order_id, lines, available: dict[str, int], repeats: dict[str, tuple[int, str]]) -> None:
    """The first unknown SKU, else the first mismatching repeat, else the first short line raises."""
    for sku, _ in lines:
        if sku not in available:
            raise StockNotFound(sku)
    for sku, quantity in lines:
        if sku in repeats:
            held, status = repeats[sku]
            _check_repeat(Reservation(order_id=order_id, sku=sku, quantity=held, status=status), quantity)
    for sku, quantity in lines:
        if sku not in repeats and available[sku] < quantity:
            raise NotEnoughStock(sku, available[sku])


def _insert_reservation(sku: str, order_id: uuid.UUID, quantity: int) -> tuple[Reservation, bool]:
    """INSERT, or find the reservation the order already has (the unique constraint decides, not a prior SELECT)."""
    try:
        # A savepoint, so that a unique violation leaves the outer transaction usable.
        with transaction.atomic():
            return Reservation.objects.create(order_id=order_id, sku=sku, quantity=quantity), True
    except IntegrityError:
        return Reservation.objects.get(order_id=order_id, sku=sku), False


def _leave_tombstone(order_id: uuid.UUID, sku: str) -> bool:
    """Record a released reservation of nothing; False when the order has a reservation of ``sku`` already."""
    try:
        with transaction.atomic():
            Reservation.objects.create(
                order_id=order_id, sku=sku, quantity=0, status=Reservation.Status.RELEASED, release_cause="request"
            )
    except IntegrityError:
        return False
    return True


def _check_repeat(reservation: Reservation, quantity: int) -> None:
    if reservation.status == Reservation.Status.RELEASED:
        raise ReservationConflict(
            f"The reservation of {reservation.sku} for order {reservation.order_id} was released; reserve under a new order id.",
            reservation.sku,
        )
    if reservation.quantity != quantity:
        raise ReservationConflict(
            f"Order {reservation.order_id} already reserved {reservation.quantity} of {reservation.sku}; "
            f"a repeated reserve must ask for the same quantity, not {quantity}.",
            reservation.sku,
        )


def _lock_reserved(order_id: uuid.UUID, *, sku: str | None = None) -> list[Reservation]:
    """The order's RESERVED reservations, locked, in SKU order (the stock rows are then locked in that order)."""
    queryset = Reservation.objects.select_for_update().filter(order_id=order_id, status=Reservation.Status.RESERVED)
    if sku is not None:
        queryset = queryset.filter(sku=sku)
    return list(queryset.order_by("sku"))


def _release(reservations: list[Reservation], *, cause: str) -> list[dict]:
    items = []
    for reservation in reservations:
        Stock.objects.filter(sku=reservation.sku).update(reserved=F("reserved") - reservation.quantity)
        reservation.release_cause = cause
        _set_status(reservation, Reservation.Status.RELEASED, "release_cause")
        items.append({"sku": reservation.sku, "quantity": reservation.quantity})
    released = sum(item["quantity"] for item in items)
    if released:
        transaction.on_commit(lambda: STOCK_UNITS_RELEASED.labels(cause).inc(released))
    return items


def _set_status(reservation: Reservation, status: str, *fields: str) -> None:
    reservation.status = status
    reservation.save(update_fields=["status", "updated_at", *fields])
