"""Payments in the Django admin: read-only, for staff who look into an order's payment."""

from django.contrib import admin

from payments.models import Payment, ProviderCharge


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin):
    list_display = ["id", "order_id", "amount", "currency", "status", "reason", "created_at", "updated_at"]
    list_filter = ["status", "reason", "currency"]
    search_fields = ["=id", "=order_id"]
    readonly_fields = ["id", "order_id", "amount", "currency", "status", "reason", "created_at", "updated_at"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ProviderCharge)
class ProviderChargeAdmin(admin.ModelAdmin):
    """The simulated provider's ledger: one row per idempotency key (the order id), read-only."""

    list_display = ["idempotency_key", "succeeded", "reason", "amount", "currency", "created_at"]
    list_filter = ["succeeded", "reason"]
    search_fields = ["=idempotency_key"]
    readonly_fields = list_display

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
