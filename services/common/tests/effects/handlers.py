"""The test project's handler: one Effect row per order.cancelled (what a service's handler does to its tables)."""

from tests.effects.models import Effect


def record_effect(envelope):
    Effect.objects.create(order_id=envelope.data["order_id"], event_type=envelope.event_type)
