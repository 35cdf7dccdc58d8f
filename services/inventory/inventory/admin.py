"""Stock and reservations in the Django admin, for staff who inspect and correct inventory."""

from django.contrib import admin

from inventory.models import Reservation, Stock


@admin.register(Stock)
class StockAdmin(admin.ModelAdmin):
    list_display = ["sku", "on_hand", "reserved", "available", "updated_at"]
    search_fields = ["sku"]
    # Reservations move only through the API and events; staff change on_hand.
    readonly_fields = ["reserved", "updated_at"]


@admin.register(Reservation)
class ReservationAdmin(admin.ModelAdmin):
    list_display = ["order_id", "sku", "quantity", "status", "release_cause", "confirmed_at", "created_at", "updated_at"]
    list_filter = ["status", "release_cause"]
    search_fields = ["=order_id", "sku"]
    readonly_fields = ["order_id", "sku", "quantity", "status", "release_cause", "confirmed_at", "created_at", "updated_at"]

    def has_add_permission(self, request):
        return False
