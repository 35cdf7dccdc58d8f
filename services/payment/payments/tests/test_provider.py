"""The simulated provider: outcomes by token (contract: payment), and one charge per idempotency key."""

import threading
import uuid
from decimal import Decimal

import pytest
from django.db import connection

from payments.models import ProviderCharge
from payments.provider import charge


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("token", "succeeded", "reason"),
    [
        ("tok_visa", True, ""),
        ("tok_chargeDeclined", False, "card_declined"),
        ("tok_mastercard", False, "invalid_token"),
        ("", False, "invalid_token"),
    ],
)
def test_outcome_by_token(token, succeeded, reason):
    result = charge(token, Decimal("10.00"), "EUR", idempotency_key=str(uuid.uuid4()))
    assert (result.succeeded, result.reason, result.replayed) == (succeeded, reason, False)


@pytest.mark.django_db
def test_a_repeated_key_gets_the_first_outcome_and_charges_nothing():
    key = str(uuid.uuid4())
    first = charge("tok_chargeDeclined", Decimal("10.00"), "EUR", idempotency_key=key)
    again = charge("tok_visa", Decimal("10.00"), "EUR", idempotency_key=key)
    assert (again.succeeded, again.reason, again.replayed) == (first.succeeded, first.reason, True)
    assert ProviderCharge.objects.filter(idempotency_key=key).count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_calls_with_one_key_charge_once():
    key = str(uuid.uuid4())
    barrier = threading.Barrier(8)
    results = []

    def call():
        try:
            barrier.wait(timeout=30)
            results.append(charge("tok_visa", Decimal("10.00"), "EUR", idempotency_key=key))
        finally:
            connection.close()

    threads = [threading.Thread(target=call) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(results) == 8
    assert all(result.succeeded for result in results)
    assert [result.replayed for result in results].count(False) == 1
    assert ProviderCharge.objects.filter(idempotency_key=key).count() == 1
