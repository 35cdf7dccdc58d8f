"""Delete processed-event and sent outbox rows older than the retention (EVENTS_RETENTION_DAYS)."""

import signal
import threading

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from musiccorp_common.events.retention import prune_events


class Command(BaseCommand):
    help = (
        "Delete processed-event rows and sent outbox rows older than EVENTS_RETENTION_DAYS "
        "(unsent outbox rows are always kept), in batches. "
        "Example: python manage.py prune_events --dry-run; python manage.py prune_events --every 3600"
    )

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=None, help="Retention in days (default: EVENTS_RETENTION_DAYS).")
        parser.add_argument("--batch-size", type=int, default=1000, help="Rows deleted per transaction.")
        parser.add_argument("--dry-run", action="store_true", help="Only count what would be deleted.")
        parser.add_argument(
            "--every", type=float, default=0, help="Run again every this many seconds until stopped (the local stack)."
        )

    def handle(self, *args, **options):
        days = settings.EVENTS_RETENTION_DAYS if options["days"] is None else options["days"]
        if days < 1 or options["batch_size"] < 1:
            raise CommandError("--days and --batch-size must be at least 1")
        stop = _stop_on_signal() if options["every"] else threading.Event()
        while True:
            self._prune_once(days, options["batch_size"], options["dry_run"])
            if not options["every"] or stop.wait(options["every"]):
                return

    def _prune_once(self, days: int, batch_size: int, dry_run: bool) -> None:
        result = prune_events(days, batch_size=batch_size, dry_run=dry_run)
        verb = "would delete" if dry_run else "deleted"
        self.stdout.write(
            f"{verb} {result.processed_events} processed events and {result.outbox_events} sent outbox events "
            f"older than {result.cutoff.isoformat()} ({days} days)"
        )


def _stop_on_signal() -> threading.Event:
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    return stop
