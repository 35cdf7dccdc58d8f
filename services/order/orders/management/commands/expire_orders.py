"""``manage.py expire_orders``: cancel PENDING orders that got no payment outcome in time."""

from django.conf import settings
from django.core.management.base import CommandError

from musiccorp_common.management.periodic import PeriodicCommand
from orders.services import expire_pending_orders


class Command(PeriodicCommand):
    help = (
        "Cancel PENDING orders without a payment outcome after ORDER_PAYMENT_TIMEOUT_SECONDS (reason payment_timeout), "
        "publishing order.cancelled so their stock is released. "
        "Example: python manage.py expire_orders; python manage.py expire_orders --every 60"
    )

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--timeout", type=float, default=None, help="Seconds an order may stay PENDING (ORDER_PAYMENT_TIMEOUT_SECONDS)."
        )
        parser.add_argument("--limit", type=int, default=1000, help="Orders cancelled per run at most.")

    def handle(self, *args, **options):
        timeout = settings.ORDER_PAYMENT_TIMEOUT_SECONDS if options["timeout"] is None else options["timeout"]
        if timeout <= 0 or options["limit"] < 1:
            raise CommandError("--timeout and --limit must be positive")
        super().handle(*args, **{**options, "timeout": timeout})

    def run_once(self, *, timeout: float, limit: int, **options) -> str:
        expired = expire_pending_orders(timeout, limit=limit)
        return f"cancelled {len(expired)} orders PENDING for more than {timeout:g} s"
