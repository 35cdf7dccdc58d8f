"""Payments in the Django admin: read-only, for staff who look into an order's payment."""

from django.contrib import admin

from payments.models import Payment


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin):
    list_display = ["id", "order_id", "amount", "currency", "status", "reason", "created_at"]
    list_filter = ["status", "reason", "currency"]
    search_fields = ["=id", "=order_id"]
    readonly_fields = ["id", "order_id", "amount", "currency", "status", "reason", "created_at"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
