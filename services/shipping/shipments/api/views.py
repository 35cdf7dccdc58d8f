"""The shipment API: read-only; shipments are made by the payment.received consumer."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import viewsets

from musiccorp_common.permissions import IsStaffOrReadOnly, StaffToListAll
from musiccorp_common.queryparams import uuid_query_param
from shipments.api.serializers import ShipmentSerializer
from shipments.models import Shipment

ORDER_ID_FILTER = OpenApiParameter("order_id", OpenApiTypes.UUID, description="Only the shipment of this order.")


@extend_schema_view(list=extend_schema(parameters=[ORDER_ID_FILTER]))
class ShipmentViewSet(viewsets.ReadOnlyModelViewSet):
    """Shipments by id; ``?order_id=`` finds an order's shipment (400 when it is not a UUID).

    Without that filter the list is staff only (customer data, docs/security.md).
    """

    serializer_class = ShipmentSerializer
    permission_classes = [IsStaffOrReadOnly, StaffToListAll]
    open_list_filter = "order_id"

    def get_queryset(self):
        queryset = Shipment.objects.all()
        order_id = uuid_query_param(self.request, "order_id")
        if order_id is not None:
            queryset = queryset.filter(order_id=order_id)
        return queryset
