"""payment's own counters show up in /metrics."""

import pytest

from payments.tests.test_handlers import order_placed, place

pytestmark = pytest.mark.django_db(transaction=True)


def test_payments_are_counted_by_status(client):
    place(order_placed(token="tok_chargeDeclined"))
    body = client.get("/metrics").content.decode()
    assert 'musiccorp_payments_total{reason="card_declined",status="DECLINED"}' in body
