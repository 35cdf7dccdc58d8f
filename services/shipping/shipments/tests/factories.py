"""factory_boy factories for shipping's models."""

import uuid

import factory
from django.utils import timezone

from shipments.models import Shipment


class ShipmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Shipment

    order_id = factory.LazyFunction(uuid.uuid4)
    carrier = "DHL"
    tracking_number = factory.Sequence(lambda n: f"JD{n:016d}")
    dispatched_at = factory.LazyFunction(timezone.now)
