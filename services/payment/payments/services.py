"""payment's business rule: charge a placed order once, record the outcome, publish it.

``take_payment`` runs in the consumer's transaction. An order that already has a payment is
never charged again, whatever its event_id: the unique ``order_id`` decides, even when two
deliveries race (the second insert waits for the first and then fails on the constraint).
"""

import logging
import uuid
from decimal import Decimal

from django.db import IntegrityError, transaction

from musiccorp_common.events import publish_event
from payments import provider
from payments.metrics import PAYMENTS, PAYMENTS_SKIPPED
from payments.models import Payment

logger = logging.getLogger("musiccorp.payments")


def take_payment(order_id: str, amount: Decimal, currency: str, payment_token: str) -> Payment | None:
    """Charge the order and publish payment.received or payment.failed; None when it was paid for already."""
    order_id = uuid.UUID(str(order_id))
    amount = Decimal(amount).quantize(Decimal("0.01"))
    with transaction.atomic():
        if Payment.objects.filter(order_id=order_id).exists():
            _skip(order_id)
            return None
        result = provider.charge(payment_token, amount, currency)
        status = Payment.Status.SUCCEEDED if result.succeeded else Payment.Status.DECLINED
        try:
            # A savepoint: a concurrent duplicate loses on the unique order_id without aborting the outer transaction.
            with transaction.atomic():
                payment = Payment.objects.create(
                    order_id=order_id, amount=amount, currency=currency, status=status, reason=result.reason
                )
        except IntegrityError:
            _skip(order_id)
            return None
        _publish_outcome(payment)
        transaction.on_commit(lambda: PAYMENTS.labels(payment.status, payment.reason or "none").inc())
    logger.info("payment %s for order %s: %s", payment.id, order_id, payment.status)
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


def _skip(order_id: uuid.UUID) -> None:
    logger.info("order %s already has a payment; not charging again", order_id)
    transaction.on_commit(PAYMENTS_SKIPPED.inc)
