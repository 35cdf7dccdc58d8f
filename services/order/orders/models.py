"""Orders and their lines. An order's status is the state of its saga (see orders/services.py)."""

import uuid
from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

SKU_PATTERN = r"^[A-Z0-9][A-Z0-9-]{0,31}$"
MAX_QUANTITY = 1000
MAX_ITEMS = 50
# The events' money format allows ten integer digits (schemas/_defs.json "money").
MAX_TOTAL = Decimal("9999999999.99")


class OrderStatus(models.TextChoices):
    PENDING = "PENDING", "Pending (stock reserved, awaiting payment)"
    PAID = "PAID", "Paid"
    COMPLETED = "COMPLETED", "Completed (shipment dispatched)"
    CANCELLED = "CANCELLED", "Cancelled"


class Order(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    status = models.CharField(max_length=16, choices=OrderStatus.choices, default=OrderStatus.PENDING)
    customer_email = models.EmailField(max_length=254)
    total = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3)
    payment_id = models.CharField(max_length=64, blank=True, default="")
    shipment_id = models.CharField(max_length=64, blank=True, default="")
    tracking_number = models.CharField(max_length=64, blank=True, default="")
    cancel_reason = models.CharField(max_length=100, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # The client's Idempotency-Key header, and a digest of the request it came with: a retry with
    # the same key and body gets this order back, a different body is refused.
    idempotency_key = models.CharField(max_length=100, unique=True, null=True, blank=True, editable=False)
    request_fingerprint = models.CharField(max_length=64, blank=True, default="", editable=False)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # The admin's and the API's filters: by status (newest first), by date, by customer.
            models.Index(fields=["status", "-created_at"], name="order_status_created_idx"),
            models.Index(fields=["-created_at"], name="order_created_idx"),
            models.Index(fields=["customer_email"], name="order_email_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(total__gte=0), name="order_total_not_negative"),
        ]

    def __str__(self):
        return f"{self.id} {self.status}"


class OrderItem(models.Model):
    order = models.ForeignKey(Order, related_name="items", on_delete=models.CASCADE)
    sku = models.CharField(max_length=32)
    title = models.CharField(max_length=200)
    unit_price = models.DecimalField(max_digits=12, decimal_places=2)
    quantity = models.PositiveIntegerField(validators=[MinValueValidator(1), MaxValueValidator(MAX_QUANTITY)])
    line_total = models.DecimalField(max_digits=12, decimal_places=2)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["order", "sku"], name="order_item_sku_once"),
        ]

    def __str__(self):
        return f"{self.quantity} x {self.sku}"
