"""Stock per SKU and the reservations orders hold on it.

The database guards the numbers: ``0 <= reserved <= on_hand`` is a CHECK constraint, and one
order has at most one reservation per SKU (a unique constraint), which is what makes a
repeated reserve idempotent. The rules that change them live in ``inventory.services``.
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
    quantity = models.PositiveIntegerField(validators=[MinValueValidator(1), MaxValueValidator(MAX_RESERVE_QUANTITY)])
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RESERVED)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["order_id", "sku"], name="reservation_one_per_order_and_sku"),
            models.CheckConstraint(condition=models.Q(quantity__gte=1), name="reservation_quantity_positive"),
        ]

    def __str__(self):
        return f"{self.order_id} {self.sku} x{self.quantity} ({self.status})"
