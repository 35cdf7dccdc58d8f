"""factory_boy factories for payment's models."""

import uuid
from decimal import Decimal

import factory

from payments.models import Payment


class PaymentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Payment

    order_id = factory.LazyFunction(uuid.uuid4)
    amount = Decimal("29.98")
    currency = "EUR"
    status = Payment.Status.SUCCEEDED
    reason = ""
