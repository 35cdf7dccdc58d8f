"""``manage.py consume`` of the test project: makes it a service with a consumer (replay_dlq finds it)."""

from musiccorp_common.events.command import ConsumeCommand
from tests.effects.handlers import record_effect


class Command(ConsumeCommand):
    help = "Consume order.cancelled into Effect rows (tests only). Example: python manage.py consume"
    group_id = "test-effects"
    handlers = {"order.cancelled": record_effect}
