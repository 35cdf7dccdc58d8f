"""``manage.py replay_dlq``: hand this service's dead-lettered events to its handlers again (docs/runbooks/dlq.md)."""

import uuid
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.management import get_commands, load_command_class
from django.core.management.base import BaseCommand, CommandError
from django.utils.dateparse import parse_datetime

from musiccorp_common.events.command import ConsumeCommand
from musiccorp_common.events.envelope import topic_for
from musiccorp_common.events.replay import open_reader, read_dead_letters, replay
from musiccorp_common.management.periodic import stop_on_signal
from musiccorp_common.models import ProcessedEvent


class Command(BaseCommand):
    help = (
        "Replay the messages this service's consumer dead-lettered (<topic>.dlq) through its handlers; "
        "events already handled are skipped by their event_id, so running it twice is safe. "
        "Example: python manage.py replay_dlq --dry-run; python manage.py replay_dlq --topic order.placed "
        "--since 2026-12-01T10:00Z"
    )

    def add_arguments(self, parser):
        parser.add_argument("--topic", action="append", default=[], help="A consumed topic, e.g. order.placed (repeatable).")
        parser.add_argument("--event-id", action="append", default=[], help="Only this event (repeatable).")
        parser.add_argument(
            "--since",
            help="Only dead letters parked at or after this ISO 8601 time (UTC when no offset is given). "
            "Default: EVENTS_RETENTION_DAYS ago, as long as the inbox remembers handled events.",
        )
        parser.add_argument("--until", help="Only dead letters parked at or before this ISO 8601 time.")
        parser.add_argument("--dry-run", action="store_true", help="List what would be replayed; handle nothing.")

    def handle(self, *args, **options):
        consume = _consume_command()
        if consume is None:
            raise CommandError(f"{settings.SERVICE_NAME} has no event consumer (no `consume` command): it has no DLQ to replay")
        topics = _topics(consume, options["topic"])
        since = _time(options["since"], "--since") or datetime.now(tz=UTC) - timedelta(days=settings.EVENTS_RETENTION_DAYS)
        until = _time(options["until"], "--until")
        reader = open_reader(consume.group_id)
        try:
            dead = read_dead_letters(
                reader, topics, group_id=consume.group_id, since=since, until=until, event_ids=set(options["event_id"])
            )
            if options["dry_run"]:
                self._list(dead)
                return
            results = replay(dead, reader=reader, group_id=consume.group_id, handlers=consume.handlers, stop=stop_on_signal())
        finally:
            reader.close()
        self._report(results, len(dead))

    def _list(self, dead) -> None:
        ids = [d.event_id for d in dead if _is_uuid(d.event_id)]
        done = {str(e) for e in ProcessedEvent.objects.filter(event_id__in=ids).values_list("event_id", flat=True)}
        self.stdout.write(f"{'TOPIC':<24} {'DLQ OFFSET':<34} {'EVENT ID':<36} {'PARKED AT (UTC)':<19} {'STATE':<7} ERROR")
        for d in dead:
            state = "done" if d.event_id in done else "pending"
            parked = d.time.strftime("%Y-%m-%d %H:%M:%S")
            event_id = d.event_id or "-"
            self.stdout.write(f"{d.original_topic:<24} {d.where:<34} {event_id:<36} {parked:<19} {state:<7} {d.error[:100]}")
        self.stdout.write(f"{len(dead)} dead letter(s); dry run, nothing replayed")

    def _report(self, results, total: int) -> None:
        for r in results:
            line = f"{r.outcome:<9} {r.dead.original_topic} {r.dead.event_id or '-'} ({r.dead.where})"
            self.stdout.write(f"{line}: {r.error}" if r.error else line)
        counts = {outcome: sum(r.outcome == outcome for r in results) for outcome in ("handled", "duplicate", "failed")}
        self.stdout.write(", ".join(f"{n} {outcome}" for outcome, n in counts.items()) + f" of {total} dead letter(s)")
        if counts["failed"] or len(results) < total:
            raise CommandError(f"{counts['failed']} failed again, {total - len(results)} not tried; they stay in the DLQ")


def _consume_command() -> ConsumeCommand | None:
    """This service's ``consume`` command (its group and handlers), or None when it has none."""
    app = get_commands().get("consume")
    if app is None:
        return None
    command = load_command_class(app, "consume")
    return command if isinstance(command, ConsumeCommand) and command.handlers else None


def _topics(consume: ConsumeCommand, wanted: list[str]) -> list[str]:
    consumed = sorted({topic_for(event_type) for event_type in consume.handlers})
    topics = sorted({topic_for(t) for t in wanted}) if wanted else consumed
    foreign = [t for t in topics if t not in consumed]
    if foreign:
        raise CommandError(f"{settings.SERVICE_NAME} does not consume {', '.join(foreign)}; it consumes {', '.join(consumed)}")
    return topics


def _time(value: str | None, option: str) -> datetime | None:
    if not value:
        return None
    try:
        parsed = parse_datetime(value)
    except ValueError:
        parsed = None
    if parsed is None:
        raise CommandError(f"{option} {value!r}: expected an ISO 8601 time, e.g. 2026-12-01T10:00Z")
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True
