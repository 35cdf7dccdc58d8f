"""payment's own counters show up in /metrics."""

import pytest

from payments.handlers import on_order_placed
from payments.tests.test_handlers import order_placed

pytestmark = pytest.mark.django_db(transaction=True)


def test_payments_are_counted_by_status(client):
    on_order_placed(order_placed(token="tok_chargeDeclined"))
    body = client.get("/metrics").content.decode()
    assert 'musiccorp_payments_total{reason="card_declined",status="DECLINED"}' in body
