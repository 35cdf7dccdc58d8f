"""The simulated payment provider (contract: payment). The token decides the outcome:

- ``tok_visa``: the charge succeeds;
- ``tok_chargeDeclined``: declined, reason ``card_declined``;
- any other token: declined, reason ``invalid_token``.

Like a real provider it takes an idempotency key (payment passes the order id): the first call
with a key charges and records the outcome in its ledger (``ProviderCharge``, committed at once,
as a remote provider's would be); every later call with that key, concurrent or not, gets the
recorded outcome back and charges nothing. The token is used for the charge and forgotten: it
is never stored or logged.
"""

from dataclasses import dataclass
from decimal import Decimal

from payments.models import ProviderCharge

SUCCEEDING_TOKEN = "tok_visa"  # noqa: S105 -- a public test token of the simulated provider, not a secret
DECLINED_TOKEN = "tok_chargeDeclined"  # noqa: S105 -- likewise


@dataclass(frozen=True)
class ChargeResult:
    succeeded: bool
    reason: str = ""
    replayed: bool = False


def charge(token: str, amount: Decimal, currency: str, idempotency_key: str) -> ChargeResult:
    """Charge ``amount`` in ``currency`` to the card behind ``token``, once per ``idempotency_key``."""
    outcome = _decide(token)
    # Committed by itself (called outside a transaction): the provider's ledger commits whatever the
    # caller does next. A concurrent call with the same key waits on the unique index, then finds this row.
    record, created = ProviderCharge.objects.insert_or_get(
        {"succeeded": outcome.succeeded, "reason": outcome.reason, "amount": amount, "currency": currency},
        idempotency_key=idempotency_key,
    )
    if created:
        return outcome
    return ChargeResult(succeeded=record.succeeded, reason=record.reason, replayed=True)


def _decide(token: str) -> ChargeResult:
    if token == SUCCEEDING_TOKEN:
        return ChargeResult(succeeded=True)
    if token == DECLINED_TOKEN:
        return ChargeResult(succeeded=False, reason="card_declined")
    return ChargeResult(succeeded=False, reason="invalid_token")
