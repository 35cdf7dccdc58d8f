"""``manage.py seed`` stocks every seeded SKU and never resets stock that exists."""

import pytest
from django.core.management import call_command

from inventory.models import Stock

pytestmark = pytest.mark.django_db


def test_seed_stocks_cd001_to_cd015_with_100_units():
    call_command("seed")
    assert list(Stock.objects.values_list("sku", flat=True)) == [f"CD{n:03d}" for n in range(1, 16)]
    assert set(Stock.objects.values_list("on_hand", flat=True)) == {100}


def test_seed_leaves_existing_stock_alone():
    Stock.objects.create(sku="CD001", on_hand=7, reserved=2)
    call_command("seed")
    call_command("seed")
    assert Stock.objects.count() == 15
    stock = Stock.objects.get(sku="CD001")
    assert (stock.on_hand, stock.reserved) == (7, 2)
