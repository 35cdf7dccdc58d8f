"""The album representation of the contract: {sku, title, artist, genre, release_year, price, currency}."""

from decimal import Decimal

from rest_framework import serializers

from catalog.models import Album


class AlbumSerializer(serializers.ModelSerializer):
    price = serializers.DecimalField(max_digits=10, decimal_places=2, min_value=Decimal("0.00"))
    currency = serializers.RegexField(r"^[A-Z]{3}$", default="EUR", error_messages={"invalid": "An ISO 4217 code such as EUR."})

    class Meta:
        model = Album
        fields = ["sku", "title", "artist", "genre", "release_year", "price", "currency"]
