"""The inventory app: stock levels and the reservations orders hold on them."""

from django.apps import AppConfig


class InventoryConfig(AppConfig):
    name = "inventory"
    verbose_name = "Inventory"
