"""Run only the outbox relay until SIGTERM: a process of its own, beside ``consume --no-relay``.

Any number may run at once (the local stack supervises one per service; tests run two): rows
are leased, so each is sent by one relay, and a key's events in order (docs/decisions/0003-outbox.md).
"""

from django.core.management.base import BaseCommand

from musiccorp_common.events.outbox import OutboxRelay
from musiccorp_common.management.periodic import stop_on_signal


class Command(BaseCommand):
    help = "Relay this service's outbox to Kafka until SIGTERM or SIGINT. Example: python manage.py relay_outbox"

    def handle(self, *args, **options):
        stop = stop_on_signal()
        # The batch in hand is settled before the loop notices the stop request; then exit 0.
        OutboxRelay().run(stop)
