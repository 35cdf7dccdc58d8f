"""The payment API: read-only; payments are made by the order.placed consumer."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import viewsets

from musiccorp_common.permissions import IsStaffOrReadOnly, StaffToListAll
from musiccorp_common.queryparams import uuid_query_param
from payments.api.serializers import PaymentSerializer
from payments.models import Payment

ORDER_ID_FILTER = OpenApiParameter("order_id", OpenApiTypes.UUID, description="Only the payment of this order.")


@extend_schema_view(list=extend_schema(parameters=[ORDER_ID_FILTER]))
class PaymentViewSet(viewsets.ReadOnlyModelViewSet):
    """Payments by id; ``?order_id=`` finds an order's payment (400 when it is not a UUID).

    Without that filter the list is staff only (customer data, docs/security.md).
    """

    serializer_class = PaymentSerializer
    permission_classes = [IsStaffOrReadOnly, StaffToListAll]
    open_list_filter = "order_id"

    def get_queryset(self):
        queryset = Payment.objects.all()
        order_id = uuid_query_param(self.request, "order_id")
        if order_id is not None:
            queryset = queryset.filter(order_id=order_id)
        return queryset
