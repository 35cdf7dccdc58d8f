"""factory_boy factories for order's models."""

import uuid
from decimal import Decimal

import factory

from orders.models import Order, OrderItem, OrderStatus


class OrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Order

    id = factory.LazyFunction(uuid.uuid4)
    status = OrderStatus.PENDING
    customer_email = factory.Sequence(lambda n: f"customer{n}@example.com")
    total = Decimal("29.98")
    currency = "EUR"


class OrderItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrderItem

    order = factory.SubFactory(OrderFactory)
    sku = factory.Sequence(lambda n: f"CD{n:03d}")
    title = factory.Sequence(lambda n: f"Album {n}")
    unit_price = Decimal("14.99")
    quantity = 2
    line_total = Decimal("29.98")
