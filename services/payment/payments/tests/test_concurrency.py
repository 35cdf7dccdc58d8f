"""Two deliveries of order.placed for one order racing each other: one payment, one event."""

import threading
import uuid

import pytest
from django.db import connection

from musiccorp_common.models import OutboxEvent
from payments.models import Payment
from payments.services import take_payment

pytestmark = pytest.mark.django_db(transaction=True)


def test_racing_duplicates_charge_once():
    order_id = uuid.uuid4()
    barrier = threading.Barrier(8)
    results = []

    def run():
        try:
            barrier.wait(timeout=30)
            results.append(take_payment(order_id, "10.00", "EUR", "tok_visa"))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(results) == 8
    assert len([r for r in results if r is not None]) == 1
    assert Payment.objects.filter(order_id=order_id).count() == 1
    assert OutboxEvent.objects.count() == 1
