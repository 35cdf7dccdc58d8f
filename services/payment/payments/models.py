"""One payment per order: the unique order_id is what makes charging twice impossible.

No token and no card data is stored: only what the provider answered.
"""

import uuid
from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models


class Payment(models.Model):
    class Status(models.TextChoices):
        SUCCEEDED = "SUCCEEDED"
        DECLINED = "DECLINED"

    class Reason(models.TextChoices):
        NONE = "", "none"
        CARD_DECLINED = "card_declined"
        INVALID_TOKEN = "invalid_token"  # noqa: S105 -- a decline reason, not a secret

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    order_id = models.UUIDField(unique=True)
    amount = models.DecimalField(max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0.00"))])
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=10, choices=Status.choices)
    reason = models.CharField(max_length=20, choices=Reason.choices, blank=True, default=Reason.NONE)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="payment_amount_not_negative"),
            # A declined payment says why; a successful one has no reason.
            models.CheckConstraint(
                condition=models.Q(status="SUCCEEDED", reason="") | models.Q(status="DECLINED", reason__gt=""),
                name="payment_reason_matches_status",
            ),
        ]

    def __str__(self):
        return f"{self.order_id} {self.amount} {self.currency} {self.status}"
