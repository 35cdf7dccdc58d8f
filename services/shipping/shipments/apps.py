"""The shipments app: dispatches paid orders and tells the others."""

from django.apps import AppConfig


class ShipmentsConfig(AppConfig):
    name = "shipments"
    verbose_name = "Shipments"
