"""The simulated payment provider (contract: payment). The token decides the outcome:

- ``tok_visa``: the charge succeeds;
- ``tok_chargeDeclined``: declined, reason ``card_declined``;
- any other token: declined, reason ``invalid_token``.

The token is used for the charge and forgotten: it is never stored or logged.
"""

from dataclasses import dataclass
from decimal import Decimal

SUCCEEDING_TOKEN = "tok_visa"  # noqa: S105 -- a public test token of the simulated provider, not a secret
DECLINED_TOKEN = "tok_chargeDeclined"  # noqa: S105 -- likewise


@dataclass(frozen=True)
class ChargeResult:
    succeeded: bool
    reason: str = ""


def charge(token: str, amount: Decimal, currency: str) -> ChargeResult:
    """Charge ``amount`` in ``currency`` to the card behind ``token``."""
    if token == SUCCEEDING_TOKEN:
        return ChargeResult(succeeded=True)
    if token == DECLINED_TOKEN:
        return ChargeResult(succeeded=False, reason="card_declined")
    return ChargeResult(succeeded=False, reason="invalid_token")
