"""factory_boy factories for inventory's models."""

import uuid

import factory
from django.db.models import F

from inventory.models import Reservation, Stock


class StockFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Stock

    sku = factory.Sequence(lambda n: f"TST{n:04d}")
    on_hand = 10
    reserved = 0


class ReservationFactory(factory.django.DjangoModelFactory):
    """A RESERVED reservation; it also adds its units to the stock's ``reserved``, as reserve_stock would."""

    class Meta:
        model = Reservation
        skip_postgeneration_save = True

    order_id = factory.LazyFunction(uuid.uuid4)
    sku = factory.LazyAttribute(lambda _: StockFactory().sku)
    quantity = 2
    status = Reservation.Status.RESERVED

    @factory.post_generation
    def hold_units(obj, create, extracted, **kwargs):
        if create and obj.status == Reservation.Status.RESERVED:
            Stock.objects.filter(sku=obj.sku).update(reserved=F("reserved") + obj.quantity)
