"""``manage.py seed`` loads the sample albums and is safe to run twice."""

import pytest
from django.core.management import call_command

from catalog.models import Album

pytestmark = pytest.mark.django_db


def test_seed_loads_at_least_twelve_albums_from_cd001():
    call_command("seed")
    skus = list(Album.objects.values_list("sku", flat=True))
    assert len(skus) >= 12
    assert skus[:3] == ["CD001", "CD002", "CD003"]


def test_seed_twice_changes_nothing():
    call_command("seed")
    before = Album.objects.count()
    call_command("seed")
    assert Album.objects.count() == before
