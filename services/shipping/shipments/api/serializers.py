"""The shipment representation of the contract: {id, order_id, status, carrier, tracking_number, dispatched_at}."""

from rest_framework import serializers

from shipments.models import Shipment


class ShipmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Shipment
        fields = ["id", "order_id", "status", "carrier", "tracking_number", "dispatched_at"]
        read_only_fields = fields
