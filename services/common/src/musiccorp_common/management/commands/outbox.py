"""Inspect and unpark outbox rows (docs/runbooks/outbox.md).

A row is parked after EVENTS_RELAY_MAX_ATTEMPTS failed deliveries and the relay no longer
tries it. Once the cause is fixed (the topic exists, the message fits), unparking gives it a
fresh set of attempts and the next relay pass sends it.
"""

import uuid

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count, Min, Q

from musiccorp_common.models import OutboxEvent


class Command(BaseCommand):
    help = (
        "Show the outbox backlog and parked rows, or unpark them. "
        "Example: python manage.py outbox; python manage.py outbox --unpark <event_id>; "
        "python manage.py outbox --unpark --all"
    )

    def add_arguments(self, parser):
        parser.add_argument("--unpark", nargs="?", const="", metavar="EVENT_ID", help="Unpark this parked row.")
        parser.add_argument("--all", action="store_true", help="With --unpark: unpark every parked row.")

    def handle(self, *args, **options):
        if options["unpark"] is None:
            if options["all"]:
                raise CommandError("--all goes with --unpark")
            self._show()
            return
        parked = OutboxEvent.objects.filter(sent_at__isnull=True, parked_at__isnull=False)
        if options["all"] == bool(options["unpark"]):
            raise CommandError("give either --unpark EVENT_ID or --unpark --all")
        if not options["all"]:
            parked = parked.filter(event_id=_event_id(options["unpark"]))
        count = parked.update(parked_at=None, attempts=0, next_attempt_at=None, claim_expires_at=None)
        if not options["all"] and count == 0:
            raise CommandError(f"no parked outbox row {options['unpark']}")
        self.stdout.write(f"unparked {count} outbox rows")

    def _show(self) -> None:
        live = Q(parked_at__isnull=True)
        backlog = OutboxEvent.objects.filter(sent_at__isnull=True).aggregate(
            pending=Count("pk", filter=live), parked=Count("pk", filter=~live), oldest=Min("created_at", filter=live)
        )
        oldest = backlog["oldest"].isoformat() if backlog["oldest"] else "-"
        self.stdout.write(f"unsent: {backlog['pending']} (oldest {oldest}), parked: {backlog['parked']}")
        for row in OutboxEvent.objects.filter(sent_at__isnull=True, parked_at__isnull=False).order_by("created_at"):
            self.stdout.write(
                f"parked {row.event_id} {row.event_type} key={row.key} topic={row.topic} "
                f"attempts={row.attempts} parked_at={row.parked_at.isoformat()} error={row.last_error[:200]}"
            )


def _event_id(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError as exc:
        raise CommandError(f"not an event id: {value!r}") from exc
