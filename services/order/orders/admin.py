"""Orders in the Django admin, for operators following a saga (also at /api/orders/admin/).

Orders come from the API and change with the saga's events, so the admin adds none, deletes
none and shows the saga-managed fields read-only. The detail page shows the order's timeline:
every event it published (outbox) and consumed, in time order.
"""

from django.contrib import admin
from django.utils.html import format_html, format_html_join

from musiccorp_common.models import OutboxEvent, ProcessedEvent
from orders.models import Order, OrderItem


class OrderItemInline(admin.TabularInline):
    model = OrderItem
    fields = ["sku", "title", "unit_price", "quantity", "line_total"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ["id", "status", "customer_email", "total", "currency", "created_at"]
    list_filter = ["status", "created_at"]
    date_hierarchy = "created_at"
    search_fields = ["id", "customer_email"]
    inlines = [OrderItemInline]
    readonly_fields = [
        "id",
        "status",
        "total",
        "currency",
        "payment_id",
        "shipment_id",
        "tracking_number",
        "cancel_reason",
        "created_at",
        "updated_at",
        "saga_timeline",
    ]
    fieldsets = [
        (None, {"fields": ["id", "status", "customer_email", "total", "currency", "created_at", "updated_at"]}),
        ("Payment and shipment", {"fields": ["payment_id", "shipment_id", "tracking_number", "cancel_reason"]}),
        ("Saga timeline", {"fields": ["saga_timeline"]}),
    ]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Events")
    def saga_timeline(self, order):
        rows = saga_events(order)
        if not rows:
            return "No events yet."
        return format_html(
            "<table><thead><tr><th>Time</th><th>Direction</th><th>Type</th><th>Correlation id</th><th>Event id</th></tr></thead>"
            "<tbody>{}</tbody></table>",
            format_html_join(
                "",
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                ((at.isoformat(timespec="milliseconds"), *rest) for at, *rest in rows),
            ),
        )


def saga_events(order: Order) -> list[tuple]:
    """(time, direction, event type, correlation id, event id) of every event about the order, oldest first."""
    key = str(order.id)
    published = [
        (
            event.created_at,
            "published" if event.sent_at else "published (not yet sent)",
            event.event_type,
            event.envelope.get("correlation_id", ""),
            str(event.event_id),
        )
        for event in OutboxEvent.objects.filter(key=key)
    ]
    consumed = [
        (event.processed_at, "consumed", event.event_type, event.correlation_id, str(event.event_id))
        for event in ProcessedEvent.objects.filter(key=key)
    ]
    return sorted(published + consumed, key=lambda row: row[0])
