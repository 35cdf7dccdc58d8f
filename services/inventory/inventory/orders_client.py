"""inventory's one question to order: was this order committed?

The reservation sweeper asks it before releasing a reservation no ``order.placed`` confirmed:
the event may only be late (inventory's consumer or Kafka was down longer than the TTL), and
releasing the stock of a committed order would let it ship stock nobody holds. order answers
``GET /orders/<id>`` for anyone who knows the id (the contract), so no credential is sent.
"""

import uuid
from functools import cache

import requests
from django.conf import settings

from musiccorp_common.http import peer_session

TIMEOUT = (2.0, 5.0)


class OrderLookupFailed(Exception):
    """order could not say (down, timed out, an unexpected answer): decide later, release nothing."""


@cache
def _session() -> requests.Session:
    return peer_session(timeout=TIMEOUT)


def order_committed(order_id: uuid.UUID) -> bool:
    """True when order has the order, False when it answers 404; OrderLookupFailed otherwise."""
    try:
        response = _session().get(f"{settings.ORDER_URL}/orders/{order_id}")
    except requests.RequestException as exc:
        raise OrderLookupFailed(f"order unreachable: {type(exc).__name__}") from exc
    if response.status_code == 200:
        return True
    if response.status_code == 404:
        return False
    raise OrderLookupFailed(f"order answered HTTP {response.status_code}")
