"""The event library: envelope and schemas, transactional outbox, idempotent consumer.

Public surface:
- ``publish_event(event_type, key, data)``: store an event in the outbox, inside the caller's
  transaction (``transaction.atomic()``); the relay sends it.
- ``Envelope``, ``InvalidEvent``, ``parse_envelope``, ``build_envelope``: the message format.
- ``ConsumeCommand``: the base class of each service's ``manage.py consume``
  (import it from ``musiccorp_common.events.command``; it needs Django's settings).
- ``EventConsumer``, ``OutboxRelay``, ``dlq_topic``: the machinery, for tests and tools.
"""

from musiccorp_common.events.envelope import TOPICS, Envelope, InvalidEvent, build_envelope, parse_envelope

__all__ = ["TOPICS", "Envelope", "InvalidEvent", "build_envelope", "parse_envelope", "publish_event"]


def publish_event(event_type: str, key: str, data: dict) -> Envelope:
    """Store an event in the outbox within the current transaction (see ``outbox.publish_event``)."""
    from musiccorp_common.events.outbox import publish_event as _publish

    return _publish(event_type, key, data)
