"""Albums for sale. The SKU is the identifier the other services and the API use."""

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models

SKU_PATTERN = r"^[A-Z0-9][A-Z0-9-]{0,31}$"


class Album(models.Model):
    sku = models.CharField(
        max_length=32,
        unique=True,
        validators=[RegexValidator(SKU_PATTERN, "SKU: upper-case letters, digits and dashes, at most 32.")],
    )
    title = models.CharField(max_length=200)
    artist = models.CharField(max_length=200)
    genre = models.CharField(max_length=50, db_index=True)
    release_year = models.PositiveSmallIntegerField(validators=[MinValueValidator(1900), MaxValueValidator(2100)])
    price = models.DecimalField(max_digits=10, decimal_places=2, validators=[MinValueValidator(Decimal("0.00"))])
    currency = models.CharField(max_length=3, default="EUR")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["sku"]
        constraints = [
            models.CheckConstraint(condition=models.Q(price__gte=0), name="album_price_not_negative"),
        ]

    def __str__(self):
        return f"{self.sku} {self.artist} - {self.title}"
