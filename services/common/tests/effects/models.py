"""A business table for the event library's tests: one row per handled event's effect."""

from django.db import models


class Effect(models.Model):
    order_id = models.CharField(max_length=64)
    event_type = models.CharField(max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"{self.event_type} {self.order_id}"
