"""The order's business rules, called by the API (place_order) and by the consumer (the rest).

Placing an order: every line priced by catalog in one call, every line reserved in inventory in
one call (all or none, issue 10), then one transaction with the PENDING order, its items and
``order.placed``. Any failure on the way releases what may be reserved (one call), so no stock
stays reserved and no order stays PENDING. The calls to peers share one budget
(ORDER_PEER_BUDGET_SECONDS) and the release after a failure another
(ORDER_RELEASE_BUDGET_SECONDS); together they stay below gunicorn's worker timeout, so a slow
peer yields a 503 and released stock instead of a killed worker. Should a worker die anyway,
inventory's sweeper releases the reservations no order.placed confirmed.

The saga's state machine is monotonic, because events of one order arrive on different topics
and so in any order (shipment.dispatched may overtake payment.received):

    PENDING -> PAID -> COMPLETED        (COMPLETED and CANCELLED are final)
    PENDING -> COMPLETED                (dispatch seen before the payment)
    PENDING -> CANCELLED                (payment.failed, or no payment outcome within
                                         ORDER_PAYMENT_TIMEOUT_SECONDS; publishes order.cancelled)

An event that would move an order backwards changes nothing but may record its reference
(a payment.received after COMPLETED records payment_id).

Events for an order this database does not have raise OrderNotFound. order.placed is written
in the same transaction as the order, so a peer can only learn an order id after the order
committed here: an unknown id is a bug or a foreign message, never a timing issue. Raising
sends it through the consumer's retries to ``<topic>.dlq``, where it is visible, instead of
being dropped silently.
"""

import hashlib
import json
import logging
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from musiccorp_common.events import publish_event
from orders import clients
from orders.metrics import count_transition, observe_saga_end
from orders.models import MAX_TOTAL, Order, OrderItem, OrderStatus

logger = logging.getLogger("musiccorp.order.services")

CENT = Decimal("0.01")
# How long a request waits for another one with the same Idempotency-Key to finish (at most
# the placement's budget, see _idempotency_lock).
IDEMPOTENCY_WAIT_SECONDS = 15.0
PAYMENT_TIMEOUT_REASON = "payment_timeout"


class OrderRejected(Exception):
    """The order cannot be placed as asked (the client's input; the API answers 400)."""


class IdempotencyKeyReused(Exception):
    """The Idempotency-Key was used before with a different request (the API answers 422)."""


class IdempotencyKeyBusy(Exception):
    """Another request with the same Idempotency-Key is still being processed (the API answers 409)."""


class OrderNotFound(LookupError):
    """An event names an order this service does not have."""


@dataclass(frozen=True)
class OrderLine:
    sku: str
    quantity: int


@dataclass(frozen=True)
class OrderRequest:
    customer_email: str
    items: tuple[OrderLine, ...]
    payment_token: str

    def fingerprint(self) -> str:
        canonical = {
            "customer_email": self.customer_email,
            "items": sorted([line.sku, line.quantity] for line in self.items),
            "payment_token": self.payment_token,
        }
        return hashlib.sha256(json.dumps(canonical, separators=(",", ":")).encode()).hexdigest()


@dataclass(frozen=True)
class _PricedLine:
    sku: str
    title: str
    unit_price: Decimal
    currency: str
    quantity: int

    @property
    def line_total(self) -> Decimal:
        return self.unit_price * self.quantity


def place_order(request: OrderRequest, idempotency_key: str | None = None) -> tuple[Order, bool]:
    """Place the order; returns (order, created). created is False for a replay of an Idempotency-Key.

    Raises OrderRejected, clients.UnknownSku, clients.OutOfStock, clients.PeerUnavailable,
    IdempotencyKeyReused or IdempotencyKeyBusy; in every case nothing stays reserved.
    """
    fingerprint = request.fingerprint()
    with clients.peer_deadline(settings.ORDER_PEER_BUDGET_SECONDS), _idempotency_lock(idempotency_key):
        if idempotency_key is not None:
            existing = Order.objects.filter(idempotency_key=idempotency_key).first()
            if existing is not None:
                if existing.request_fingerprint != fingerprint:
                    raise IdempotencyKeyReused("This Idempotency-Key was already used with a different request.")
                return existing, False
        lines = _price(request.items)
        order_id = uuid.uuid4()
        _reserve_all(order_id, lines)
        try:
            order = _create_pending_order(order_id, request, lines, idempotency_key, fingerprint)
        except BaseException:
            _release_all(order_id, [line.sku for line in lines])
            raise
    return order, True


def _price(items: tuple[OrderLine, ...]) -> list[_PricedLine]:
    """Every line priced by catalog (one call); OrderRejected for mixed currencies or a total beyond the events' format."""
    albums = clients.catalog_client().albums_by_sku([item.sku for item in items])
    lines: list[_PricedLine] = []
    for item in items:
        album = albums[item.sku]
        line = _PricedLine(item.sku, album.title[:200], album.price.quantize(CENT), album.currency, item.quantity)
        if lines and line.currency != lines[0].currency:
            first = lines[0]
            raise OrderRejected(
                f"All items must share one currency: {line.sku} is in {line.currency}, {first.sku} in {first.currency}."
            )
        lines.append(line)
    if sum(line.line_total for line in lines) > MAX_TOTAL:
        raise OrderRejected(f"The order total exceeds {MAX_TOTAL}.")
    return lines


def _reserve_all(order_id: uuid.UUID, lines: list[_PricedLine]) -> None:
    """Reserve every line in one call (inventory holds all or none); re-raises its failure.

    A refusal (OutOfStock, UnknownSku) reserved nothing. After PeerUnavailable (or anything
    else) the reservation may have happened and only its answer was lost: every line is released.
    """
    try:
        clients.inventory_client().reserve_order(str(order_id), [(line.sku, line.quantity) for line in lines])
    except (clients.OutOfStock, clients.UnknownSku):
        raise
    except BaseException:
        _release_all(order_id, [line.sku for line in lines])
        raise


def _release_all(order_id: uuid.UUID, skus: list[str]) -> None:
    """Best effort, within its own budget (the placement's may be spent): a failed release is logged.

    A release that does not get through is no leak: the reservation is never confirmed by an
    order.placed, so inventory's sweeper releases it after RESERVATION_TTL_SECONDS.
    """
    with clients.peer_deadline(settings.ORDER_RELEASE_BUDGET_SECONDS):
        try:
            clients.inventory_client().release_order(str(order_id), skus)
        except Exception:
            logger.exception("could not release the reservations of %s for order %s", ", ".join(skus), order_id)


def _create_pending_order(order_id, request: OrderRequest, lines, idempotency_key, fingerprint) -> Order:
    """The order, its items and order.placed, in one transaction."""
    total = sum((line.line_total for line in lines), Decimal("0.00"))
    with transaction.atomic():
        order = Order.objects.create(
            id=order_id,
            status=OrderStatus.PENDING,
            customer_email=request.customer_email,
            total=total,
            currency=lines[0].currency,
            idempotency_key=idempotency_key,
            request_fingerprint=fingerprint,
        )
        OrderItem.objects.bulk_create(
            OrderItem(
                order=order,
                sku=line.sku,
                title=line.title,
                unit_price=line.unit_price,
                quantity=line.quantity,
                line_total=line.line_total,
            )
            for line in lines
        )
        count_transition(OrderStatus.PENDING)
        publish_event(
            "order.placed",
            key=str(order.id),
            data={
                "order_id": str(order.id),
                "customer_email": order.customer_email,
                "items": [{"sku": line.sku, "quantity": line.quantity, "unit_price": _money(line.unit_price)} for line in lines],
                "total": _money(total),
                "currency": order.currency,
                "payment_token": request.payment_token,
            },
        )
    logger.info("order placed", extra={"order_id": str(order.id), "total": _money(total), "currency": order.currency})
    return order


@contextmanager
def _idempotency_lock(key: str | None):
    """Serialise requests with the same Idempotency-Key (a PostgreSQL session advisory lock).

    The second of two concurrent requests waits until the first finished, then finds its order
    and returns it: the stock is reserved once. The lock is the connection's, so a crashed
    worker leaves none behind. Without a key there is nothing to serialise.
    """
    if key is None:
        yield
        return
    lock_id = idempotency_lock_id(key)
    # Within the placement's budget too: the wait is time the worker spends like a peer call.
    left = clients.time_left()
    deadline = time.monotonic() + (IDEMPOTENCY_WAIT_SECONDS if left is None else min(IDEMPOTENCY_WAIT_SECONDS, left))
    with connection.cursor() as cursor:
        while True:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [lock_id])
            if cursor.fetchone()[0]:
                break
            if time.monotonic() >= deadline:
                raise IdempotencyKeyBusy("A request with this Idempotency-Key is still being processed; retry later.")
            time.sleep(0.1)
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [lock_id])


def idempotency_lock_id(key: str) -> int:
    """The advisory lock (a signed 64-bit number) of an Idempotency-Key."""
    return int.from_bytes(hashlib.sha256(b"order-idempotency:" + key.encode()).digest()[:8], "big", signed=True)


def _money(amount: Decimal) -> str:
    return f"{amount.quantize(CENT):.2f}"


# The saga: state changes driven by the consumer (orders/handlers.py). Each runs in the
# consumer's transaction (a savepoint per message of its batch) or, from expire_orders, alone;
# no caller catches their errors and goes on in the same transaction, so their own atomic
# block needs no savepoint (savepoint=False: one SAVEPOINT/RELEASE round trip pair less per
# event; when called outside a transaction it opens one as before).


def _locked_order(order_id: str) -> Order:
    try:
        return Order.objects.select_for_update().get(id=uuid.UUID(str(order_id)))
    except (Order.DoesNotExist, ValueError):
        raise OrderNotFound(f"no order {order_id}") from None


@transaction.atomic(savepoint=False)
def mark_paid(order_id: str, payment_id: str) -> Order:
    """payment.received: PENDING -> PAID; records payment_id in any state but CANCELLED."""
    order = _locked_order(order_id)
    if order.status == OrderStatus.CANCELLED:
        logger.warning("payment received for a cancelled order; left cancelled", extra={"order_id": order_id})
        return order
    order.payment_id = payment_id
    if order.status == OrderStatus.PENDING:
        order.status = OrderStatus.PAID
        count_transition(OrderStatus.PAID)
    order.save(update_fields=["status", "payment_id", "updated_at"])
    return order


@transaction.atomic(savepoint=False)
def cancel_order(order_id: str, reason: str, payment_id: str = "") -> Order:
    """payment.failed: PENDING -> CANCELLED and order.cancelled, only on that transition.

    A PAID or COMPLETED order is not cancelled by a late or contradictory failure (both are
    further along the saga); it is logged for an operator.
    """
    order = _locked_order(order_id)
    if order.status != OrderStatus.PENDING:
        if order.status != OrderStatus.CANCELLED:
            logger.warning("payment failure for a %s order ignored", order.status, extra={"order_id": order_id})
        return order
    order.status = OrderStatus.CANCELLED
    count_transition(OrderStatus.CANCELLED)
    observe_saga_end(OrderStatus.CANCELLED, order.created_at)
    order.cancel_reason = reason[:100]
    order.payment_id = order.payment_id or payment_id
    order.save(update_fields=["status", "cancel_reason", "payment_id", "updated_at"])
    publish_event("order.cancelled", key=str(order.id), data={"order_id": str(order.id), "reason": order.cancel_reason})
    return order


@transaction.atomic(savepoint=False)
def complete_order(order_id: str, shipment_id: str, tracking_number: str) -> Order:
    """shipment.dispatched: PENDING or PAID -> COMPLETED; records the shipment references."""
    order = _locked_order(order_id)
    order.shipment_id = shipment_id
    order.tracking_number = tracking_number
    if order.status == OrderStatus.CANCELLED:
        logger.error("shipment dispatched for a cancelled order; left cancelled", extra={"order_id": order_id})
    elif order.status != OrderStatus.COMPLETED:
        order.status = OrderStatus.COMPLETED
        count_transition(OrderStatus.COMPLETED)
        observe_saga_end(OrderStatus.COMPLETED, order.created_at)
    order.save(update_fields=["status", "shipment_id", "tracking_number", "updated_at"])
    return order


# Sagas that stay open: cancelled after a timeout (expire_orders), counted while stuck (metrics).


def expire_pending_orders(timeout_seconds: float, *, limit: int = 1000) -> list[str]:
    """Cancel PENDING orders older than ``timeout_seconds`` (reason payment_timeout); returns their ids.

    Each is cancelled like a failed payment, in its own transaction with order.cancelled: inventory
    releases the stock, payment voids the order so that a late order.placed never charges it.
    """
    cutoff = timezone.now() - timedelta(seconds=timeout_seconds)
    candidates = Order.objects.filter(status=OrderStatus.PENDING, created_at__lt=cutoff).order_by("created_at")
    expired = []
    for order_id in candidates.values_list("id", flat=True)[:limit]:
        # cancel_order locks the order and re-checks PENDING: a payment outcome that just came in wins.
        if cancel_order(str(order_id), PAYMENT_TIMEOUT_REASON).cancel_reason == PAYMENT_TIMEOUT_REASON:
            logger.warning("order cancelled: no payment outcome in time", extra={"order_id": str(order_id)})
            expired.append(str(order_id))
    return expired


def stuck_order_counts(now=None) -> dict[str, int]:
    """Orders PENDING for longer than ORDER_PENDING_DEADLINE_SECONDS and PAID for longer than ORDER_PAID_DEADLINE_SECONDS."""
    now = now or timezone.now()
    pending_since = now - timedelta(seconds=settings.ORDER_PENDING_DEADLINE_SECONDS)
    paid_since = now - timedelta(seconds=settings.ORDER_PAID_DEADLINE_SECONDS)
    pending = Order.objects.filter(status=OrderStatus.PENDING, created_at__lt=pending_since)
    # updated_at of a PAID order is when it became PAID (nothing else changes it meanwhile).
    paid = Order.objects.filter(status=OrderStatus.PAID, updated_at__lt=paid_since)
    return {OrderStatus.PENDING: pending.count(), OrderStatus.PAID: paid.count()}
