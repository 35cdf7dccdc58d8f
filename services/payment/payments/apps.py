"""The payments app: charges orders through the (simulated) provider and records the outcome."""

from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "payments"
    verbose_name = "Payments"
