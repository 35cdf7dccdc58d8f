"""Give every seeded SKU stock (idempotent: stock that exists is left as it is)."""

from django.core.management.base import BaseCommand
from django.db import transaction

from inventory.models import Stock

# The SKUs catalog's seed loads (CD001...CD015).
SEED_SKUS = [f"CD{n:03d}" for n in range(1, 16)]
SEED_ON_HAND = 100


class Command(BaseCommand):
    help = "Stock CD001...CD015 with 100 units each, leaving existing stock untouched. Example: python manage.py seed"

    @transaction.atomic
    def handle(self, *args, **options):
        created = 0
        for sku in SEED_SKUS:
            _, was_created = Stock.objects.get_or_create(sku=sku, defaults={"on_hand": SEED_ON_HAND})
            created += was_created
        self.stdout.write(f"inventory seeded: {created} created, {Stock.objects.count()} SKUs in stock")
