"""``manage.py replay_dlq``: dead letters handled again by the service's own handlers, once, with filters.

The dead letters are made by the real consumer loop (a handler that fails, then the DLQ
producer) on the real broker; the replay reads them back from there.
"""

import io
import threading
import uuid

import pytest
from confluent_kafka import Producer
from django.core.management import call_command
from django.core.management.base import CommandError

from musiccorp_common.events.consumer import EventConsumer
from musiccorp_common.testing.kafka import FakeMessage, ScriptedConsumer, client_config, read_all
from tests.effects.models import Effect
from tests.test_consumer import cancelled_message

pytestmark = pytest.mark.django_db(transaction=True)


def dead_letter(messages, bootstrap, *, group_id="test-effects") -> None:
    """Run the real loop over ``messages`` with a handler that always fails: each goes to the DLQ."""

    def broken(envelope):
        raise RuntimeError("the handler had a bug that day")

    stop = threading.Event()
    EventConsumer(
        group_id=group_id,
        handlers={"order.cancelled": broken},
        stop=stop,
        consumer=ScriptedConsumer(messages, stop),
        dlq_producer=Producer(client_config(bootstrap)),
    ).run()


def replay_dlq(*args) -> str:
    out = io.StringIO()
    call_command("replay_dlq", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def one_attempt(settings):
    settings.EVENTS_MAX_ATTEMPTS = 1


def test_replay_handles_a_dead_letter_once_and_a_second_replay_changes_nothing(kafka_topics, bootstrap, one_attempt):
    message, event = cancelled_message(topic_prefix=kafka_topics)
    other_group, _ = cancelled_message(topic_prefix=kafka_topics, offset=1)
    dead_letter([message], bootstrap)
    dead_letter([other_group], bootstrap, group_id="shipping-or-anyone-else")  # the same DLQ, not ours to replay

    listing = replay_dlq("--dry-run")
    assert f"{kafka_topics}order.cancelled" in listing
    assert event.event_id in listing
    assert "pending" in listing
    assert "RuntimeError: the handler had a bug that day" in listing
    assert other_group.key().decode() not in listing
    assert "1 dead letter(s); dry run" in listing
    assert not Effect.objects.exists(), "a dry run handles nothing"

    assert "1 handled, 0 duplicate, 0 failed of 1" in replay_dlq()
    assert list(Effect.objects.values_list("order_id", flat=True)) == [event.data["order_id"]]

    assert "0 handled, 1 duplicate, 0 failed of 1" in replay_dlq()
    assert Effect.objects.count() == 1
    assert "done" in replay_dlq("--dry-run")
    assert len(read_all(bootstrap, f"{kafka_topics}order.cancelled.dlq", expect=2)) == 2, "replay adds no dead letters"


def test_filters_select_by_event_id_and_time(kafka_topics, bootstrap, one_attempt):
    first, first_event = cancelled_message(topic_prefix=kafka_topics, offset=0)
    second, second_event = cancelled_message(topic_prefix=kafka_topics, offset=1)
    dead_letter([first, second], bootstrap)

    listing = replay_dlq("--dry-run", "--event-id", second_event.event_id)
    assert second_event.event_id in listing
    assert first_event.event_id not in listing
    assert "0 dead letter(s)" in replay_dlq("--dry-run", "--until", "2020-01-01T00:00Z")
    assert "2 dead letter(s)" in replay_dlq("--dry-run", "--since", "2020-01-01T00:00Z", "--topic", "order.cancelled")

    assert "1 handled" in replay_dlq("--event-id", second_event.event_id)
    assert list(Effect.objects.values_list("order_id", flat=True)) == [second_event.data["order_id"]]


def test_a_dead_letter_that_fails_again_stays_in_the_dlq_and_the_command_fails(kafka_topics, bootstrap, one_attempt):
    poison = FakeMessage(f"{kafka_topics}order.cancelled", b"{not json", key=str(uuid.uuid4()).encode())
    dead_letter([poison], bootstrap)
    with pytest.raises(CommandError, match="1 failed again"):
        replay_dlq()
    assert len(read_all(bootstrap, f"{kafka_topics}order.cancelled.dlq", expect=1)) == 1, "no second copy"


def test_refuses_a_topic_the_service_does_not_consume_and_bad_times(kafka_topics):
    with pytest.raises(CommandError, match=r"does not consume .*order\.placed"):
        replay_dlq("--dry-run", "--topic", "order.placed")
    with pytest.raises(CommandError, match="ISO 8601"):
        replay_dlq("--dry-run", "--since", "yesterday")


def test_refuses_clearly_in_a_service_without_a_consumer(monkeypatch):
    from musiccorp_common.management.commands import replay_dlq as command

    monkeypatch.setattr(command, "get_commands", lambda: {"migrate": "django.core"})
    with pytest.raises(CommandError, match="has no event consumer"):
        replay_dlq("--dry-run")
