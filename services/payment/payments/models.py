"""One payment per order, and the simulated provider's ledger of charges.

The unique ``order_id`` of a Payment is what makes charging twice impossible on our side: a
PENDING payment is committed before the provider is called (docs/events.md, "Sagas that heal"),
so a crash or a concurrent redelivery finds it and repeats the call under the same idempotency key
instead of charging anew. A VOIDED payment is a tombstone: the order was cancelled before any
charge, and a late order.placed must never charge it.

No token and no card data is stored: only what the provider answered.
"""

import uuid
from contextlib import nullcontext
from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import IntegrityError, models, transaction


class InsertFirstQuerySet(models.QuerySet):
    def insert_or_get(self, defaults: dict, **lookup) -> tuple[models.Model, bool]:
        """(row, created), like get_or_create, but INSERT first: one round trip when the row is new.

        get_or_create reads first, then inserts in a transaction of its own (BEGIN, SAVEPOINT,
        INSERT, RELEASE, COMMIT): five more round trips on the usual path, where the row is new.
        Outside a transaction the INSERT commits by itself; inside one it gets a savepoint, so a
        conflict does not break the caller's transaction. A conflict on ``lookup``'s unique
        columns returns the row there; any other IntegrityError is raised.
        """
        atomic = transaction.atomic() if transaction.get_connection().in_atomic_block else nullcontext()
        try:
            with atomic:
                return self.create(**lookup, **defaults), True
        except IntegrityError:
            try:
                return self.get(**lookup), False
            except self.model.DoesNotExist:
                pass
            raise


class Payment(models.Model):
    class Status(models.TextChoices):
        PENDING = "PENDING", "Pending (the provider was or is being called)"
        SUCCEEDED = "SUCCEEDED"
        DECLINED = "DECLINED"
        VOIDED = "VOIDED", "Voided (the order was cancelled before any charge)"

    class Reason(models.TextChoices):
        NONE = "", "none"
        CARD_DECLINED = "card_declined"
        INVALID_TOKEN = "invalid_token"  # noqa: S105 -- a decline reason, not a secret
        ORDER_CANCELLED = "order_cancelled"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    order_id = models.UUIDField(unique=True)
    amount = models.DecimalField(max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0.00"))])
    # Empty only for a VOIDED tombstone: order.cancelled does not carry the order's currency.
    currency = models.CharField(max_length=3, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices)
    reason = models.CharField(max_length=20, choices=Reason.choices, blank=True, default=Reason.NONE)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = InsertFirstQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="payment_amount_not_negative"),
            # A declined or voided payment says why; a pending or successful one has no reason.
            models.CheckConstraint(
                condition=models.Q(status__in=["PENDING", "SUCCEEDED"], reason="")
                | models.Q(status__in=["DECLINED", "VOIDED"], reason__gt=""),
                name="payment_reason_matches_status",
            ),
        ]

    def __str__(self):
        return f"{self.order_id} {self.amount} {self.currency} {self.status}"


class ProviderCharge(models.Model):
    """The simulated provider's own record of each charge, by the idempotency key it was asked with.

    A real provider keeps this on its side; the simulation keeps it in payment's database so
    that tests (and the chaos campaign) can prove a key was charged once.
    """

    idempotency_key = models.CharField(max_length=100, unique=True)
    succeeded = models.BooleanField()
    reason = models.CharField(max_length=20, blank=True, default="")
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = InsertFirstQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.idempotency_key} {self.amount} {self.currency} {'ok' if self.succeeded else self.reason}"
