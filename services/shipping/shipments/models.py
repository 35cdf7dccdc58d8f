"""One shipment per order (the unique order_id makes dispatching idempotent), tracked by a unique number."""

import uuid

from django.db import models


class Shipment(models.Model):
    class Status(models.TextChoices):
        DISPATCHED = "DISPATCHED"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    order_id = models.UUIDField(unique=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DISPATCHED)
    carrier = models.CharField(max_length=50)
    tracking_number = models.CharField(max_length=64, unique=True)
    dispatched_at = models.DateTimeField()

    class Meta:
        ordering = ["-dispatched_at"]

    def __str__(self):
        return f"{self.order_id} {self.carrier} {self.tracking_number}"
