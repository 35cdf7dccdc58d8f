"""The order API's shapes: what POST /orders accepts, and the order representation of the contract.

Input rules (bad input is a 400 naming the field, never a 5xx):
- ``customer_email``: an email address, at most 254 characters;
- ``items``: 1 to 50 of ``{sku, quantity}``; a SKU matches ``^[A-Z0-9][A-Z0-9-]{0,31}$``; a
  quantity is a JSON integer 1..1000 (no booleans, strings or floats);
- the same SKU twice is merged into one line with the quantities added (the merged
  quantity must still be at most 1000);
- ``payment_token``: a string of 1 to 100 characters.
"""

from rest_framework import serializers

from orders.models import MAX_ITEMS, MAX_QUANTITY, SKU_PATTERN, Order, OrderItem, OrderStatus
from orders.services import OrderLine, OrderRequest


class StrictIntegerField(serializers.IntegerField):
    """An integer that must arrive as a JSON integer: DRF's own field accepts "5", 5.0 and true."""

    default_error_messages = {"invalid": "A whole number is required (not a string, decimal or boolean)."}

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictCharField(serializers.CharField):
    """Text that must arrive as a JSON string: DRF's own field turns numbers into text."""

    default_error_messages = {"invalid": "A string is required."}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class OrderLineInputSerializer(serializers.Serializer):
    sku = serializers.RegexField(
        SKU_PATTERN, max_length=32, error_messages={"invalid": "A SKU: upper-case letters, digits and dashes, at most 32."}
    )
    quantity = StrictIntegerField(min_value=1, max_value=MAX_QUANTITY)


class PlaceOrderSerializer(serializers.Serializer):
    customer_email = serializers.EmailField(max_length=254)
    items = OrderLineInputSerializer(many=True, allow_empty=False, max_length=MAX_ITEMS)
    payment_token = StrictCharField(min_length=1, max_length=100, trim_whitespace=False)

    def validate_items(self, items):
        merged: dict[str, int] = {}
        for item in items:
            merged[item["sku"]] = merged.get(item["sku"], 0) + item["quantity"]
        too_many = [sku for sku, quantity in merged.items() if quantity > MAX_QUANTITY]
        if too_many:
            raise serializers.ValidationError(f"At most {MAX_QUANTITY} of one SKU per order: {', '.join(too_many)}.")
        return [{"sku": sku, "quantity": quantity} for sku, quantity in merged.items()]

    def to_order_request(self) -> OrderRequest:
        data = self.validated_data
        return OrderRequest(
            customer_email=data["customer_email"],
            items=tuple(OrderLine(item["sku"], item["quantity"]) for item in data["items"]),
            payment_token=data["payment_token"],
        )


class OrderItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = OrderItem
        fields = ["sku", "title", "unit_price", "quantity", "line_total"]


class OrderSerializer(serializers.ModelSerializer):
    """The contract's order: {id, status, customer_email, items, total, currency, created_at}."""

    items = OrderItemSerializer(many=True, read_only=True)

    class Meta:
        model = Order
        fields = ["id", "status", "customer_email", "items", "total", "currency", "created_at"]
        read_only_fields = fields


class OrderDetailSerializer(OrderSerializer):
    """GET's order: the contract's fields plus where the saga has got to (references, reason)."""

    class Meta(OrderSerializer.Meta):
        fields = [
            *OrderSerializer.Meta.fields,
            "updated_at",
            "payment_id",
            "shipment_id",
            "tracking_number",
            "cancel_reason",
        ]
        read_only_fields = fields


class OrderFilterSerializer(serializers.Serializer):
    """The list's query parameters: ``?status=`` (one of the statuses) and ``?customer_email=``; empty means no filter."""

    status = serializers.ChoiceField(choices=OrderStatus.choices, required=False, allow_blank=True)
    customer_email = serializers.CharField(max_length=254, required=False, allow_blank=True)
