"""The event envelope: building, parsing and validating it against the schemas in ``schemas/``.

Producers validate before an event is stored in the outbox; consumers validate what they
receive, and a message that fails validation is poison: it goes to the DLQ at once. So an
envelope is validated twice in its life, once where it is built and once where it is parsed.

Each schema's validator is built once per process, with the shared definitions' ``$ref``s
replaced by the definitions themselves: resolving a reference through the registry at every
validation was about 40% of its cost.
"""

import datetime
import json
import uuid
from dataclasses import dataclass
from functools import cache
from importlib import resources

from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource

# The service that owns (alone may publish) each topic: contract "Events", the same table as
# kafka.topics in charts/umbrella/values.yaml (tests/charts/test_kafka.py checks they agree).
# Consumers dead-letter an envelope whose ``producer`` is not its topic's owner.
TOPIC_OWNERS = {
    "order.placed": "order",
    "payment.received": "payment",
    "payment.failed": "payment",
    "shipment.dispatched": "shipping",
    "order.cancelled": "order",
    "stock.released": "inventory",
}
TOPICS = tuple(TOPIC_OWNERS)
CURRENT_VERSION = 1
# How the schemas point at a shared definition, and how the definitions point at each other.
_SHARED_REF = "musiccorp:defs#/$defs/"
_LOCAL_REF = "#/$defs/"


class InvalidEvent(ValueError):
    """An envelope or its data does not match the event's schema (or is not JSON at all)."""


@dataclass(frozen=True)
class Envelope:
    event_id: str
    event_type: str
    event_version: int
    occurred_at: str
    correlation_id: str
    producer: str
    data: dict

    def to_dict(self) -> dict:
        return {
            "event_id": self.event_id,
            "event_type": self.event_type,
            "event_version": self.event_version,
            "occurred_at": self.occurred_at,
            "correlation_id": self.correlation_id,
            "producer": self.producer,
            "data": self.data,
        }

    def to_bytes(self) -> bytes:
        return json.dumps(self.to_dict(), separators=(",", ":")).encode()


def topic_for(event_type: str) -> str:
    """The Kafka topic of an event type: one topic per type (contract: Events), plus the optional prefix."""
    from django.conf import settings

    return f"{settings.EVENTS_TOPIC_PREFIX}{event_type}"


def build_envelope(event_type: str, data: dict, *, producer: str, correlation_id: str) -> Envelope:
    envelope = Envelope(
        event_id=str(uuid.uuid4()),
        event_type=event_type,
        event_version=CURRENT_VERSION,
        occurred_at=datetime.datetime.now(tz=datetime.UTC).isoformat(),
        correlation_id=correlation_id,
        producer=producer,
        data=data,
    )
    validate(envelope.to_dict())
    return envelope


def parse_envelope(raw: bytes | None) -> Envelope:
    """Decode and validate a message value; raises InvalidEvent for anything unusable."""
    try:
        document = json.loads(raw or b"")
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidEvent(f"message value is not JSON: {exc}") from None
    validate(document)
    return Envelope(**document)


def validate(document) -> None:
    _raise_first_error(_validator("envelope.v1"), document, "envelope")
    name = f"{document['event_type']}.v{document['event_version']}"
    if name not in _schema_names():
        raise InvalidEvent(f"no schema for {name}")
    _raise_first_error(_validator(name), document["data"], name)


def _raise_first_error(validator, document, what: str) -> None:
    error = next(iter(sorted(validator.iter_errors(document), key=lambda e: list(e.path))), None)
    if error is not None:
        where = "/".join(str(part) for part in error.absolute_path) or "(root)"
        raise InvalidEvent(f"{what} invalid at {where}: {error.message}")


@cache
def _validator(name: str) -> Draft202012Validator:
    schema = _inline_shared_refs(_load(name), _load("_defs")["$defs"])
    return Draft202012Validator(schema, registry=_registry(), format_checker=FormatChecker())


@cache
def _schema_names() -> frozenset[str]:
    files = resources.files(__package__).joinpath("schemas").iterdir()
    return frozenset(file.name.removesuffix(".json") for file in files if file.name.endswith(".json"))


def _inline_shared_refs(node, defs: dict, prefixes=(_SHARED_REF,)):
    """``node`` with each ``{"$ref": "musiccorp:defs#/$defs/NAME"}`` replaced by that definition.

    Inside a definition, ``#/$defs/NAME`` points at its siblings. A reference of another form,
    or one with sibling keywords, is kept: the registry still resolves it.
    """
    if isinstance(node, list):
        return [_inline_shared_refs(item, defs, prefixes) for item in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str) and len(node) == 1:
        for prefix in prefixes:
            if ref.startswith(prefix) and ref.removeprefix(prefix) in defs:
                return _inline_shared_refs(defs[ref.removeprefix(prefix)], defs, (_SHARED_REF, _LOCAL_REF))
    return {key: _inline_shared_refs(value, defs, prefixes) for key, value in node.items()}


@cache
def _registry() -> Registry:
    shared = Resource.from_contents(_load("_defs"))
    return Registry().with_resource("musiccorp:defs", shared)


def _load(name: str) -> dict:
    return json.loads(resources.files(__package__).joinpath("schemas", f"{name}.json").read_text())
