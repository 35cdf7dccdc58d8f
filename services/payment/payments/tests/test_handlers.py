"""order.placed and order.cancelled handled with real envelopes: the provider's outcomes, the events, never charging twice."""

import uuid
from decimal import Decimal

import pytest

from musiccorp_common.events import build_envelope
from musiccorp_common.models import OutboxEvent
from payments.handlers import on_order_cancelled, on_order_placed
from payments.models import Payment, ProviderCharge
from payments.tests.factories import PaymentFactory

pytestmark = pytest.mark.django_db


def place(event) -> bool:
    """Run the handler as the consumer would, minus the event record (the loop tests cover that)."""
    return on_order_placed(event, lambda: True)


def order_cancelled(order_id, reason="payment_timeout"):
    data = {"order_id": str(order_id), "reason": reason}
    return build_envelope("order.cancelled", data, producer="order", correlation_id="corr-oc")


def order_placed(order_id=None, token="tok_visa", total="29.98"):  # noqa: S107 -- the simulated provider's test token
    data = {
        "order_id": str(order_id or uuid.uuid4()),
        "customer_email": "fan@example.com",
        "items": [{"sku": "CD001", "quantity": 2, "unit_price": "14.99"}],
        "total": total,
        "currency": "EUR",
        "payment_token": token,
    }
    return build_envelope("order.placed", data, producer="order", correlation_id="corr-op")


def test_tok_visa_succeeds_and_publishes_payment_received():
    event = order_placed()
    place(event)
    payment = Payment.objects.get(order_id=event.data["order_id"])
    assert (payment.status, payment.reason, payment.amount, payment.currency) == ("SUCCEEDED", "", Decimal("29.98"), "EUR")
    outbox = OutboxEvent.objects.get()
    assert (outbox.event_type, outbox.key) == ("payment.received", event.data["order_id"])
    assert outbox.envelope["producer"] == "payment"
    assert outbox.envelope["correlation_id"]
    assert outbox.envelope["data"] == {
        "order_id": event.data["order_id"],
        "payment_id": str(payment.id),
        "amount": "29.98",
        "currency": "EUR",
    }


@pytest.mark.parametrize(("token", "reason"), [("tok_chargeDeclined", "card_declined"), ("tok_other", "invalid_token")])
def test_declined_tokens_publish_payment_failed(token, reason):
    event = order_placed(token=token)
    place(event)
    payment = Payment.objects.get(order_id=event.data["order_id"])
    assert (payment.status, payment.reason) == ("DECLINED", reason)
    outbox = OutboxEvent.objects.get()
    assert outbox.event_type == "payment.failed"
    assert outbox.envelope["data"] == {
        "order_id": event.data["order_id"],
        "payment_id": str(payment.id),
        "reason": reason,
        "amount": "29.98",
        "currency": "EUR",
    }


def test_a_second_order_placed_for_the_same_order_never_charges_again():
    order_id = uuid.uuid4()
    place(order_placed(order_id, token="tok_visa"))
    place(order_placed(order_id, token="tok_chargeDeclined"))  # a new event_id, same order
    assert Payment.objects.filter(order_id=order_id).count() == 1
    assert Payment.objects.get(order_id=order_id).status == "SUCCEEDED"
    assert list(OutboxEvent.objects.values_list("event_type", flat=True)) == ["payment.received"]


def test_an_existing_payment_is_left_alone():
    existing = PaymentFactory(status="DECLINED", reason="card_declined")
    place(order_placed(existing.order_id))
    assert Payment.objects.get().status == "DECLINED"
    assert not OutboxEvent.objects.exists()


def test_no_token_is_stored():
    place(order_placed(token="tok_visa"))
    stored = Payment.objects.values().get()
    assert "tok_visa" not in str(stored)
    assert not any("token" in column for column in stored)


def test_the_provider_is_asked_with_the_order_id_as_idempotency_key():
    event = order_placed(total="12.50")
    place(event)
    charge = ProviderCharge.objects.get()
    assert (charge.idempotency_key, charge.succeeded, charge.amount) == (event.data["order_id"], True, Decimal("12.50"))


def test_order_cancelled_before_any_payment_leaves_a_tombstone_and_a_late_order_placed_charges_nothing():
    order_id = uuid.uuid4()
    on_order_cancelled(order_cancelled(order_id))
    voided = Payment.objects.get(order_id=order_id)
    assert (voided.status, voided.reason, voided.amount) == ("VOIDED", "order_cancelled", Decimal("0.00"))
    place(order_placed(order_id))
    assert Payment.objects.get(order_id=order_id).status == "VOIDED"
    assert not ProviderCharge.objects.exists()
    assert not OutboxEvent.objects.exists()


@pytest.mark.parametrize(("status", "reason"), [("DECLINED", "card_declined"), ("SUCCEEDED", ""), ("PENDING", "")])
def test_order_cancelled_leaves_an_existing_payment_alone(status, reason):
    existing = PaymentFactory(status=status, reason=reason)
    on_order_cancelled(order_cancelled(existing.order_id))
    assert Payment.objects.get().status == status
