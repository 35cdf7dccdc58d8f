"""factory_boy factories for catalog's models."""

from decimal import Decimal

import factory

from catalog.models import Album


class AlbumFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Album

    sku = factory.Sequence(lambda n: f"TST{n:04d}")
    title = factory.Sequence(lambda n: f"Test Album {n}")
    artist = "Test Artist"
    genre = "rock"
    release_year = 2001
    price = Decimal("9.99")
    currency = "EUR"
