"""The helpers services' suites share: message_for/run_scripted (consumer loop) and uuid_query_param."""

import uuid

import pytest
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from musiccorp_common.events import build_envelope
from musiccorp_common.models import ProcessedEvent
from musiccorp_common.queryparams import uuid_query_param
from musiccorp_common.testing.kafka import message_for, run_scripted
from tests.effects.models import Effect


def cancelled(order_id):
    return build_envelope("order.cancelled", {"order_id": order_id, "reason": "r"}, producer="order", correlation_id="c")


@pytest.mark.django_db(transaction=True)
def test_run_scripted_drives_the_real_loop_over_messages_for_envelopes():
    order_id = str(uuid.uuid4())
    message = message_for(cancelled(order_id), offset=7)
    assert (message.topic(), message.key(), message.offset()) == ("order.cancelled", order_id.encode(), 7)

    def handler(envelope):
        Effect.objects.create(order_id=envelope.data["order_id"], event_type=envelope.event_type)

    consumer = run_scripted({"order.cancelled": handler}, [message, message])
    assert Effect.objects.filter(order_id=order_id).count() == 1
    assert ProcessedEvent.objects.count() == 1
    assert consumer.committed == [("order.cancelled", 0, 7), ("order.cancelled", 0, 7)]
    assert consumer.closed


def query(params):
    return Request(APIRequestFactory().get("/things", params))


def test_uuid_query_param():
    value = uuid.uuid4()
    assert uuid_query_param(query({"order_id": str(value)}), "order_id") == value
    assert uuid_query_param(query({}), "order_id") is None
    assert uuid_query_param(query({"order_id": ""}), "order_id") is None
    with pytest.raises(ValidationError) as raised:
        uuid_query_param(query({"order_id": "nope"}), "order_id")
    assert "order_id" in raised.value.detail
