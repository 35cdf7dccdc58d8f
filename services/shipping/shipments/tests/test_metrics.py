"""shipping's own counters show up in /metrics."""

import uuid

import pytest

from shipments.carriers import carrier_for
from shipments.handlers import on_payment_received
from shipments.tests.test_handlers import payment_received

pytestmark = pytest.mark.django_db(transaction=True)


def test_dispatches_are_counted_by_carrier(client):
    order_id = uuid.uuid4()
    on_payment_received(payment_received(order_id))
    body = client.get("/metrics").content.decode()
    assert f'musiccorp_shipments_dispatched_total{{carrier="{carrier_for(order_id)}"}}' in body
