"""``manage.py release_expired_reservations``: the sweeper of reservations no placed order confirmed."""

from django.conf import settings
from django.core.management.base import CommandError

from inventory.orders_client import order_committed
from inventory.services import release_expired
from musiccorp_common.management.periodic import PeriodicCommand


class Command(PeriodicCommand):
    help = (
        "Release RESERVED reservations that no order.placed confirmed within RESERVATION_TTL_SECONDS "
        "and whose order, asked, does not exist (never committed), publishing stock.released for each order. "
        "Example: python manage.py release_expired_reservations; python manage.py release_expired_reservations --every 30"
    )

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--ttl", type=float, default=None, help="Seconds a reservation may stay unconfirmed (RESERVATION_TTL_SECONDS)."
        )
        parser.add_argument("--limit", type=int, default=1000, help="Orders released per run at most.")

    def handle(self, *args, **options):
        ttl = settings.RESERVATION_TTL_SECONDS if options["ttl"] is None else options["ttl"]
        if ttl <= 0 or options["limit"] < 1:
            raise CommandError("--ttl and --limit must be positive")
        super().handle(*args, **{**options, "ttl": ttl})

    def run_once(self, *, ttl: float, limit: int, **options) -> str:
        released = release_expired(ttl, order_committed=order_committed, limit=limit)
        units = sum(item["quantity"] for order in released for item in order["items"])
        return f"released {units} units of {len(released)} orders unconfirmed for {ttl:g} s"
