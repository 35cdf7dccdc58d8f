"""Fixtures of musiccorp_common's own tests: a real broker with per-test topics."""

import uuid

import pytest
from django.conf import settings

from musiccorp_common.testing.kafka import create_topics, delete_topics, wait_for_broker


@pytest.fixture
def kafka_topics(settings):
    """A fresh topic prefix with every contract topic and DLQ created on the real broker."""
    from musiccorp_common.events import TOPICS

    prefix = f"test-{uuid.uuid4().hex[:8]}."
    settings.EVENTS_TOPIC_PREFIX = prefix
    bootstrap = settings.KAFKA_BOOTSTRAP_SERVERS
    wait_for_broker(bootstrap)
    names = [f"{prefix}{topic}" for topic in TOPICS] + [f"{prefix}{topic}.dlq" for topic in TOPICS]
    create_topics(bootstrap, names)
    yield prefix
    delete_topics(bootstrap, names)


@pytest.fixture
def bootstrap():
    return settings.KAFKA_BOOTSTRAP_SERVERS
