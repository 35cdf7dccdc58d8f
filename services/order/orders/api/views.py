"""The order API: anyone places an order and reads it by id; listing orders is staff only.

There is no update or delete. The order id is the customer's unguessable handle, so
``GET /orders/<id>`` is open, while ``GET /orders`` (every customer's email) takes a staff user
(contract, docs/security.md).

POST /orders answers 201 with the order. With an ``Idempotency-Key`` header (1..100 printable
ASCII characters), a retry with the same key and body answers 201 with the same order and the
header ``Idempotent-Replayed: true`` (nothing is reserved again); the same key with another
body is 422.
"""

import re

from rest_framework import mixins, status, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from musiccorp_common.permissions import StaffToListAll
from orders import services
from orders.api.serializers import OrderDetailSerializer, OrderFilterSerializer, OrderSerializer, PlaceOrderSerializer
from orders.clients import OutOfStock, PeerUnavailable, UnknownSku
from orders.models import Order

IDEMPOTENCY_HEADER = "Idempotency-Key"
_IDEMPOTENCY_KEY = re.compile(r"^[\x20-\x7e]{1,100}$")


class OrderViewSet(mixins.CreateModelMixin, mixins.RetrieveModelMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Orders by id. ``?status=`` and ``?customer_email=`` filter the list."""

    permission_classes = [StaffToListAll]
    serializer_class = OrderDetailSerializer

    def get_queryset(self):
        queryset = Order.objects.prefetch_related("items")
        if self.action != "list":
            return queryset
        filters = OrderFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        if status_filter := filters.validated_data.get("status"):
            queryset = queryset.filter(status=status_filter)
        if email := filters.validated_data.get("customer_email"):
            queryset = queryset.filter(customer_email__iexact=email)
        return queryset

    def get_serializer_class(self):
        return PlaceOrderSerializer if self.action == "create" else OrderDetailSerializer

    def create(self, request, *args, **kwargs):
        idempotency_key = _idempotency_key(request)
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            order, created = services.place_order(serializer.to_order_request(), idempotency_key)
        except (UnknownSku, services.OrderRejected) as exc:
            return _error(status.HTTP_400_BAD_REQUEST, _rejection_detail(exc))
        except OutOfStock as exc:
            return _error(status.HTTP_409_CONFLICT, f"Not enough stock for {exc.sku}.")
        except PeerUnavailable as exc:
            return _error(status.HTTP_503_SERVICE_UNAVAILABLE, f"The {exc.service} service is temporarily unavailable.")
        except services.IdempotencyKeyReused as exc:
            return _error(status.HTTP_422_UNPROCESSABLE_ENTITY, str(exc))
        except services.IdempotencyKeyBusy as exc:
            return _error(status.HTTP_409_CONFLICT, str(exc))
        headers = {} if created else {"Idempotent-Replayed": "true"}
        return Response(OrderSerializer(order).data, status=status.HTTP_201_CREATED, headers=headers)


def _idempotency_key(request) -> str | None:
    value = request.headers.get(IDEMPOTENCY_HEADER)
    if value is None:
        return None
    if not _IDEMPOTENCY_KEY.match(value) or not value.strip():
        raise ValidationError({IDEMPOTENCY_HEADER: ["1 to 100 printable ASCII characters."]})
    return value


def _rejection_detail(exc: Exception) -> str:
    if isinstance(exc, UnknownSku):
        return f"Unknown SKU: {exc.sku}."
    return str(exc)


def _error(code: int, detail: str) -> Response:
    return Response({"detail": detail}, status=code)
