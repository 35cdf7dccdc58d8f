"""The simulated provider's outcomes by token (contract: payment)."""

from decimal import Decimal

import pytest

from payments.provider import charge


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
    result = charge(token, Decimal("10.00"), "EUR")
    assert (result.succeeded, result.reason) == (succeeded, reason)
