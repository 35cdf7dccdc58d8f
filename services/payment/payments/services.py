"""payment's business rules: charge a placed order once, record the outcome, publish it; void a cancelled one.

``take_payment`` runs in three steps, because the provider is outside our database and no
transaction can span it (docs/events.md, "Sagas that heal"):

1. a PENDING payment is recorded and committed (or the order's existing payment is found);
2. when it is PENDING, the provider is called with the order id as idempotency key;
3. one last transaction records the outcome (SUCCEEDED or DECLINED), publishes
   payment.received or payment.failed and marks the event processed.

A crash after step 1 leaves a PENDING payment; the redelivered order.placed finds it and calls
the provider again with the same key, which answers the recorded outcome and charges nothing.
Concurrent deliveries (same or different event ids) both call the provider with the key; the
provider charges once, and step 3 locks the payment so only the first records and publishes.
An order whose payment is already final, or voided by order.cancelled, is never charged.
"""

import logging
import uuid
from collections.abc import Callable
from decimal import Decimal

from django.db import IntegrityError, transaction

from musiccorp_common.events import publish_event
from payments import provider
from payments.metrics import PAYMENTS, PAYMENTS_SKIPPED, PAYMENTS_VOIDED
from payments.models import Payment

logger = logging.getLogger("musiccorp.payments")


def _nothing_to_record() -> bool:
    return True


def take_payment(
    order_id: str,
    amount: Decimal,
    currency: str,
    payment_token: str,
    *,
    mark_processed: Callable[[], bool] = _nothing_to_record,
) -> Payment | None:
    """Charge the order and publish payment.received or payment.failed.

    Call it outside a transaction (step 1 must commit). ``mark_processed`` runs inside the final
    transaction (the consumer's record of the event); when it returns False the event was handled
    before and nothing is recorded. Returns the payment this call completed, None otherwise.
    """
    order_id = uuid.UUID(str(order_id))
    amount = Decimal(amount).quantize(Decimal("0.01"))
    payment = _record_pending(order_id, amount, currency)
    result = None
    if payment.status == Payment.Status.PENDING:
        result = provider.charge(payment_token, amount, currency, idempotency_key=str(order_id))
    with transaction.atomic():
        if not mark_processed():
            return None
        payment = Payment.objects.select_for_update().get(order_id=order_id)
        if result is None or payment.status != Payment.Status.PENDING:
            _skip(payment)
            return None
        payment.status = Payment.Status.SUCCEEDED if result.succeeded else Payment.Status.DECLINED
        payment.reason = result.reason
        payment.save(update_fields=["status", "reason", "updated_at"])
        _publish_outcome(payment)
        transaction.on_commit(lambda: PAYMENTS.labels(payment.status, payment.reason or "none").inc())
    logger.info("payment %s for order %s: %s", payment.id, order_id, payment.status)
    return payment


def void_unpaid(order_id: str) -> Payment | None:
    """order.cancelled: leave a VOIDED tombstone when the order has no payment yet; None when it has one.

    Runs in the consumer's transaction. An existing payment is left alone: a DECLINED one is why
    the order was cancelled; a PENDING or SUCCEEDED one means a charge was already asked for
    when the order timed out (the remaining race, docs/events.md: it needs a refund by hand).
    """
    order_id = uuid.UUID(str(order_id))
    try:
        with transaction.atomic():
            payment = Payment.objects.create(
                order_id=order_id,
                amount=Decimal("0.00"),
                currency="",
                status=Payment.Status.VOIDED,
                reason=Payment.Reason.ORDER_CANCELLED,
            )
    except IntegrityError:
        existing = Payment.objects.get(order_id=order_id)
        if existing.status in (Payment.Status.PENDING, Payment.Status.SUCCEEDED):
            logger.error("order %s was cancelled with a %s payment; a refund may be due", order_id, existing.status)
        return None
    transaction.on_commit(PAYMENTS_VOIDED.inc)
    logger.info("order %s cancelled before payment: voided", order_id)
    return payment


def _record_pending(order_id: uuid.UUID, amount: Decimal, currency: str) -> Payment:
    """Commit a PENDING payment for the order, or return the payment it already has."""
    payment, _created = Payment.objects.insert_or_get(
        {"amount": amount, "currency": currency, "status": Payment.Status.PENDING}, order_id=order_id
    )
    return payment


def _publish_outcome(payment: Payment) -> None:
    data = {
        "order_id": str(payment.order_id),
        "payment_id": str(payment.id),
        "amount": str(payment.amount),
        "currency": payment.currency,
    }
    if payment.status == Payment.Status.SUCCEEDED:
        publish_event("payment.received", str(payment.order_id), data)
    else:
        publish_event("payment.failed", str(payment.order_id), {**data, "reason": payment.reason})


def _skip(payment: Payment) -> None:
    logger.info("order %s already has a %s payment; not charging again", payment.order_id, payment.status)
    transaction.on_commit(PAYMENTS_SKIPPED.inc)
