"""Tables every service has: the transactional outbox and the record of consumed events.

Both live in the service's own database, so the business change, the event it publishes and
the note that an incoming event was handled commit or roll back together.
"""

import uuid

from django.db import models


class OutboxEvent(models.Model):
    """An event written in the same transaction as the business change, published later by the relay."""

    event_id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    topic = models.CharField(max_length=200)
    event_type = models.CharField(max_length=100)
    key = models.CharField(max_length=200, db_index=True, help_text="Kafka message key: the order id.")
    envelope = models.JSONField()
    headers = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True, default="")
    # The relay's lease (docs/decisions/0003-outbox.md): who claimed the row last, and until when
    # no other relay may take it. claimed_by stays after the row is sent, as a record of who sent it.
    claimed_by = models.CharField(max_length=200, blank=True, default="")
    claim_expires_at = models.DateTimeField(null=True, blank=True)
    # After a failed delivery: not retried before this (capped exponential backoff).
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # Set after EVENTS_RELAY_MAX_ATTEMPTS failed deliveries: never retried until an operator
    # unparks it (manage.py outbox --unpark, docs/runbooks/outbox.md).
    parked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]
        indexes = [
            # The relay's scan and its metrics: unsent rows, oldest first. Partial, so it stays small.
            models.Index(fields=["created_at"], name="outbox_unsent_idx", condition=models.Q(sent_at__isnull=True)),
            # The claim's "is there an older unsent row of this key" check.
            models.Index(fields=["key", "created_at"], name="outbox_unsent_key_idx", condition=models.Q(sent_at__isnull=True)),
        ]

    def __str__(self):
        state = "sent" if self.sent_at else "parked" if self.parked_at else "pending"
        return f"{self.event_type} {self.key} ({state})"


class ProcessedEvent(models.Model):
    """An event this service has handled; inserted in the handler's transaction (idempotency by event_id)."""

    event_id = models.UUIDField(primary_key=True)
    topic = models.CharField(max_length=200)
    event_type = models.CharField(max_length=100)
    key = models.CharField(max_length=200, db_index=True)
    correlation_id = models.CharField(max_length=128, blank=True, default="")
    occurred_at = models.DateTimeField(null=True, blank=True)
    processed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["processed_at"]

    def __str__(self):
        return f"{self.event_type} {self.key}"
