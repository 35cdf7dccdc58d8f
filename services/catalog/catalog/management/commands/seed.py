"""Load the sample albums (idempotent: existing SKUs are updated, nothing is duplicated)."""

from django.core.management.base import BaseCommand
from django.db import transaction

from catalog.models import Album
from catalog.seed_data import album_rows


class Command(BaseCommand):
    help = "Load the sample albums CD001... into the catalog. Example: python manage.py seed"

    @transaction.atomic
    def handle(self, *args, **options):
        created = 0
        for row in album_rows():
            _, was_created = Album.objects.update_or_create(sku=row["sku"], defaults=row)
            created += was_created
        self.stdout.write(f"catalog seeded: {created} created, {Album.objects.count()} albums in total")
