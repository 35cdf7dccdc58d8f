"""The envelope and the event schemas: what producers may send and consumers accept."""

import json
import re
import uuid

import pytest

from musiccorp_common.events import InvalidEvent, build_envelope, parse_envelope

ORDER_ID = str(uuid.uuid4())
PLACED = {
    "order_id": ORDER_ID,
    "customer_email": "ann@example.com",
    "items": [{"sku": "CD001", "quantity": 2, "unit_price": "14.99"}],
    "total": "29.98",
    "currency": "EUR",
    "payment_token": "tok_visa",
}


def test_built_envelope_round_trips():
    envelope = build_envelope("order.placed", PLACED, producer="order", correlation_id="corr-1")
    parsed = parse_envelope(envelope.to_bytes())
    assert parsed == envelope
    assert parsed.event_version == 1
    assert uuid.UUID(parsed.event_id)


@pytest.mark.parametrize(
    ("change", "where"),
    [
        ({"total": 29.98}, "total"),
        ({"items": []}, "items"),
        ({"items": [{"sku": "CD001", "quantity": 0, "unit_price": "1.00"}]}, "items/0/quantity"),
        ({"order_id": "not-a-uuid"}, "order_id"),
        ({"surprise": True}, "(root)"),
    ],
)
def test_invalid_data_is_rejected_naming_the_place(change, where):
    with pytest.raises(InvalidEvent, match=re.escape(f"at {where}:")):
        build_envelope("order.placed", {**PLACED, **change}, producer="order", correlation_id="c")


@pytest.mark.parametrize(
    "raw",
    [
        b"not json",
        b"\xff\xfe",
        b"[]",
        json.dumps({"event_type": "order.placed"}).encode(),
        None,
    ],
)
def test_unusable_message_values_are_invalid(raw):
    with pytest.raises(InvalidEvent):
        parse_envelope(raw)


def test_unknown_version_is_invalid():
    document = build_envelope("order.placed", PLACED, producer="order", correlation_id="c").to_dict()
    document["event_version"] = 99
    with pytest.raises(InvalidEvent, match=re.escape("no schema for order.placed.v99")):
        parse_envelope(json.dumps(document).encode())


def test_every_contract_topic_has_a_schema():
    from importlib import resources

    from musiccorp_common.events import TOPICS

    schemas = resources.files("musiccorp_common.events").joinpath("schemas")
    for topic in TOPICS:
        assert schemas.joinpath(f"{topic}.v1.json").is_file(), topic


def test_validators_carry_the_shared_definitions_inline():
    # Resolving musiccorp:defs through the registry at every validation was ~40% of its cost.
    from musiccorp_common.events.envelope import _schema_names, _validator

    for name in _schema_names() - {"_defs"}:
        assert "$ref" not in json.dumps(_validator(name).schema), name


def test_stock_lines_are_still_checked_through_the_inlined_definitions():
    data = {"order_id": ORDER_ID, "items": [{"sku": "cd001", "quantity": 1}]}
    with pytest.raises(InvalidEvent, match=re.escape("at items/0/sku:")):
        build_envelope("stock.released", data, producer="inventory", correlation_id="c")
