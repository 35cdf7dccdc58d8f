"""Representations of the stock API: stock levels, the bodies of reserve and release, and an order's reservations."""

from rest_framework import serializers

from inventory.models import MAX_RESERVE_QUANTITY, SKU_PATTERN, Stock

# Far above any real shelf, well inside PostgreSQL's integer.
MAX_ON_HAND = 1_000_000
# Lines of one order's reservation (order accepts at most 50).
MAX_ORDER_LINES = 100


class StockSerializer(serializers.ModelSerializer):
    """``{sku, on_hand, reserved, available}`` with available = on_hand - reserved."""

    available = serializers.IntegerField(read_only=True)

    class Meta:
        model = Stock
        fields = ["sku", "on_hand", "reserved", "available"]
        read_only_fields = fields


class StockLevelSerializer(serializers.Serializer):
    """What staff set: the units on hand."""

    on_hand = serializers.IntegerField(min_value=0, max_value=MAX_ON_HAND)


class OrderIdField(serializers.UUIDField):
    """An order id as the events carry it: a UUID string (DRF's UUIDField would also take an integer)."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid", value=data)
        return super().to_internal_value(data)


class ReserveSerializer(serializers.Serializer):
    order_id = OrderIdField()
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_RESERVE_QUANTITY)


class ReleaseSerializer(serializers.Serializer):
    order_id = OrderIdField()


class ReservationResultSerializer(StockSerializer):
    """The answer to a reserve: the order's reservation and the stock after it."""

    order_id = serializers.UUIDField(read_only=True)
    quantity = serializers.IntegerField(read_only=True)

    class Meta(StockSerializer.Meta):
        fields = ["sku", "order_id", "quantity", "on_hand", "reserved", "available"]
        read_only_fields = fields


class ReleaseResultSerializer(StockSerializer):
    """The answer to a release: the units released now (0 when nothing was left) and the stock after it."""

    order_id = serializers.UUIDField(read_only=True)
    released = serializers.IntegerField(read_only=True)

    class Meta(StockSerializer.Meta):
        fields = ["sku", "order_id", "released", "on_hand", "reserved", "available"]
        read_only_fields = fields


class OrderLineSerializer(serializers.Serializer):
    sku = serializers.RegexField(SKU_PATTERN, max_length=32)
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_RESERVE_QUANTITY)


class OrderReservationSerializer(serializers.Serializer):
    """POST /reservations: ``{order_id, lines: [{sku, quantity}]}``, each SKU once."""

    order_id = OrderIdField()
    lines = OrderLineSerializer(many=True, allow_empty=False, max_length=MAX_ORDER_LINES)

    def validate_lines(self, lines):
        skus = [line["sku"] for line in lines]
        if len(set(skus)) != len(skus):
            raise serializers.ValidationError("Each SKU at most once.")
        return lines


class OrderReleaseSerializer(serializers.Serializer):
    """POST /reservations/release: ``{order_id, skus}``."""

    order_id = OrderIdField()
    skus = serializers.ListField(
        child=serializers.RegexField(SKU_PATTERN, max_length=32), allow_empty=False, max_length=MAX_ORDER_LINES
    )


class OrderReservationResultSerializer(serializers.Serializer):
    """The answer to an order's reservation: every line, now held for the order."""

    order_id = serializers.UUIDField(read_only=True)
    lines = OrderLineSerializer(many=True, read_only=True)


class OrderReleaseResultSerializer(serializers.Serializer):
    """The answer to an order's release: the lines released now (empty when nothing was left)."""

    order_id = serializers.UUIDField(read_only=True)
    released = OrderLineSerializer(many=True, read_only=True)
