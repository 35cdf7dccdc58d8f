"""Shipments in the Django admin: read-only, for staff who look into an order's delivery."""

from django.contrib import admin

from shipments.models import Shipment


@admin.register(Shipment)
class ShipmentAdmin(admin.ModelAdmin):
    list_display = ["id", "order_id", "status", "carrier", "tracking_number", "dispatched_at"]
    list_filter = ["status", "carrier"]
    search_fields = ["=tracking_number", "=order_id"]
    readonly_fields = ["id", "order_id", "status", "carrier", "tracking_number", "dispatched_at"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
