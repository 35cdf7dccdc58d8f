"""Stock per SKU and the reservations orders hold on it.

The database guards the numbers: ``0 <= reserved <= on_hand`` is a CHECK constraint, and one
order has at most one reservation per SKU (a unique constraint), which is what makes a
repeated reserve idempotent. A release of an (order, SKU) that holds nothing leaves a
tombstone (RELEASED, quantity 0) so that a late or retried reserve is refused: a release is
final (contract: inventory). ``confirmed_at`` is set when order.placed shows the order was
committed; a RESERVED reservation left unconfirmed past RESERVATION_TTL_SECONDS belongs to an
order that never came to be, and the sweeper releases it. The rules live in ``inventory.services``.
"""

from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models

SKU_PATTERN = r"^[A-Z0-9][A-Z0-9-]{0,31}$"
MAX_RESERVE_QUANTITY = 1000


class Stock(models.Model):
    sku = models.CharField(
        max_length=32,
        unique=True,
        validators=[RegexValidator(SKU_PATTERN, "SKU: upper-case letters, digits and dashes, at most 32.")],
    )
    on_hand = models.PositiveIntegerField(default=0, help_text="Units in the warehouse.")
    reserved = models.PositiveIntegerField(default=0, help_text="Units held by orders that have not shipped yet.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["sku"]
        verbose_name_plural = "stock"
        constraints = [
            models.CheckConstraint(condition=models.Q(on_hand__gte=0), name="stock_on_hand_not_negative"),
            models.CheckConstraint(condition=models.Q(reserved__gte=0), name="stock_reserved_not_negative"),
            # Never oversold: whatever the application does, the database refuses more reserved than on hand.
            models.CheckConstraint(condition=models.Q(reserved__lte=models.F("on_hand")), name="stock_reserved_within_on_hand"),
        ]

    def __str__(self):
        return f"{self.sku}: {self.on_hand} on hand, {self.reserved} reserved"

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


class Reservation(models.Model):
    class Status(models.TextChoices):
        RESERVED = "RESERVED"
        RELEASED = "RELEASED"
        SHIPPED = "SHIPPED"

    order_id = models.UUIDField(db_index=True)
    sku = models.CharField(max_length=32)
    # 0 only for a tombstone (see the constraint below).
    quantity = models.PositiveIntegerField(validators=[MinValueValidator(0), MaxValueValidator(MAX_RESERVE_QUANTITY)])
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RESERVED)
    # Why it was released: request (order's release call), payment_failed, order_cancelled, expired.
    release_cause = models.CharField(max_length=20, blank=True, default="")
    confirmed_at = models.DateTimeField(null=True, blank=True, help_text="When order.placed confirmed the order exists.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["order_id", "sku"], name="reservation_one_per_order_and_sku"),
            models.CheckConstraint(
                condition=models.Q(quantity__gte=1) | models.Q(quantity=0, status="RELEASED"),
                name="reservation_quantity_positive_unless_tombstone",
            ),
        ]
        indexes = [
            # The sweeper's scan: unconfirmed RESERVED rows by age.
            models.Index(
                fields=["created_at"],
                name="reservation_unconfirmed_idx",
                condition=models.Q(status="RESERVED", confirmed_at__isnull=True),
            ),
        ]

    def __str__(self):
        return f"{self.order_id} {self.sku} x{self.quantity} ({self.status})"
