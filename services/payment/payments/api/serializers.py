"""The payment representation of the contract: {id, order_id, amount, currency, status, reason}."""

from rest_framework import serializers

from payments.models import Payment


class PaymentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Payment
        fields = ["id", "order_id", "amount", "currency", "status", "reason"]
        read_only_fields = fields
