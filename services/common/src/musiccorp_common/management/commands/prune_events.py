"""Delete processed-event and sent outbox rows older than the retention (EVENTS_RETENTION_DAYS)."""

from django.conf import settings
from django.core.management.base import CommandError

from musiccorp_common.events.retention import prune_events
from musiccorp_common.management.periodic import PeriodicCommand


class Command(PeriodicCommand):
    help = (
        "Delete processed-event rows and sent outbox rows older than EVENTS_RETENTION_DAYS "
        "(unsent outbox rows are always kept), in batches. "
        "Example: python manage.py prune_events --dry-run; python manage.py prune_events --every 3600"
    )

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--days", type=int, default=None, help="Retention in days (default: EVENTS_RETENTION_DAYS).")
        parser.add_argument("--batch-size", type=int, default=1000, help="Rows deleted per transaction.")
        parser.add_argument("--dry-run", action="store_true", help="Only count what would be deleted.")

    def handle(self, *args, **options):
        days = settings.EVENTS_RETENTION_DAYS if options["days"] is None else options["days"]
        if days < 1 or options["batch_size"] < 1:
            raise CommandError("--days and --batch-size must be at least 1")
        super().handle(*args, **{**options, "days": days})

    def run_once(self, *, days: int, batch_size: int, dry_run: bool, **options) -> str:
        result = prune_events(days, batch_size=batch_size, dry_run=dry_run)
        verb = "would delete" if dry_run else "deleted"
        return (
            f"{verb} {result.processed_events} processed events and {result.outbox_events} sent outbox events "
            f"older than {result.cutoff.isoformat()} ({days} days)"
        )
