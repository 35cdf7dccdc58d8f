"""The stock API: anyone reads, staff set levels, and the order service reserves and releases.

The order service reserves all lines of an order in one request (``POST /reservations``) and
releases them in one (``POST /reservations/release``); the per-SKU reserve and release stay.
All four are internal: they take the order service's credential (its token, see
``musiccorp_common.service_auth``) or a staff user, and answer 401/403 with a JSON body
otherwise. The gateway does not route them either, and in the cluster the NetworkPolicy lets
only the order service reach inventory's port (docs/security.md). The rules themselves live in
``inventory.services``.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.authentication import BasicAuthentication, SessionAuthentication
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response

from inventory import services
from inventory.api.serializers import (
    OrderReleaseResultSerializer,
    OrderReleaseSerializer,
    OrderReservationResultSerializer,
    OrderReservationSerializer,
    ReleaseResultSerializer,
    ReleaseSerializer,
    ReservationResultSerializer,
    ReserveSerializer,
    StockLevelSerializer,
    StockSerializer,
)
from inventory.models import Stock
from musiccorp_common.service_auth import ServiceTokenAuthentication, service_or_staff

# The order service's token first: its challenge makes a call without any credential a 401.
INTERNAL_CALL = {
    "authentication_classes": [ServiceTokenAuthentication, SessionAuthentication, BasicAuthentication],
    "permission_classes": [service_or_staff("order")],
}
CONFLICT = OpenApiResponse(description='{"detail": "..."}: not enough stock, or a repeat that does not match.')
LINE_CONFLICT = OpenApiResponse(
    description='{"detail": "...", "sku": "..."}: that line is short or a mismatching repeat; nothing reserved.'
)
LINE_NOT_FOUND = OpenApiResponse(description='{"detail": "...", "sku": "..."}: no stock record for that SKU; nothing reserved.')


class StockViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Stock per SKU: ``{sku, on_hand, reserved, available}``."""

    queryset = Stock.objects.all()
    serializer_class = StockSerializer
    lookup_field = "sku"

    @extend_schema(request=StockLevelSerializer, responses={200: StockSerializer, 201: StockSerializer})
    def update(self, request, sku=None):
        """Set the units on hand (staff); creates the SKU's stock when it has none."""
        return self._set_level(request, sku, create=True)

    @extend_schema(request=StockLevelSerializer, responses=StockSerializer)
    def partial_update(self, request, sku=None):
        """Set the units on hand of an existing SKU (staff)."""
        return self._set_level(request, sku, create=False)

    @extend_schema(request=ReserveSerializer, responses={200: ReservationResultSerializer, 409: CONFLICT})
    @action(detail=True, methods=["post"], **INTERNAL_CALL)
    def reserve(self, request, sku=None):
        """Reserve units for an order; idempotent per (order_id, sku). 409 when not enough is available."""
        body = _valid(ReserveSerializer, request)
        try:
            result = services.reserve_stock(sku, body["order_id"], body["quantity"])
        except services.StockNotFound as exc:
            raise NotFound(str(exc)) from None
        except (services.NotEnoughStock, services.ReservationConflict) as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
        data = {**StockSerializer(result.stock).data, "order_id": result.order_id, "quantity": result.quantity}
        return Response(ReservationResultSerializer(data).data)

    @extend_schema(request=ReleaseSerializer, responses=ReleaseResultSerializer)
    @action(detail=True, methods=["post"], **INTERNAL_CALL)
    def release(self, request, sku=None):
        """Release the order's reservation of this SKU; idempotent (``released`` is 0 on a repeat)."""
        body = _valid(ReleaseSerializer, request)
        try:
            result = services.release_reservation(sku, body["order_id"])
        except services.StockNotFound as exc:
            raise NotFound(str(exc)) from None
        data = {**StockSerializer(result.stock).data, "order_id": result.order_id, "released": result.released}
        return Response(ReleaseResultSerializer(data).data)

    def _set_level(self, request, sku, *, create: bool):
        on_hand = _valid(StockLevelSerializer, request)["on_hand"]
        if create:
            _validate_sku(sku)
        try:
            stock, created = services.set_stock_level(sku, on_hand, create=create)
        except services.StockNotFound as exc:
            raise NotFound(str(exc)) from None
        except services.StockBelowReserved as exc:
            raise ValidationError({"on_hand": [str(exc)]}) from None
        return Response(StockSerializer(stock).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class ReservationViewSet(viewsets.ViewSet):
    """An order's reservations, all lines in one request (issue 10): internal, like reserve and release."""

    authentication_classes = INTERNAL_CALL["authentication_classes"]
    permission_classes = INTERNAL_CALL["permission_classes"]

    @extend_schema(
        request=OrderReservationSerializer,
        responses={200: OrderReservationResultSerializer, 404: LINE_NOT_FOUND, 409: LINE_CONFLICT},
    )
    def create(self, request):
        """Reserve every line for the order, or none; idempotent per (order_id, sku) like reserve."""
        body = _valid(OrderReservationSerializer, request)
        lines = [(line["sku"], line["quantity"]) for line in body["lines"]]
        try:
            result = services.reserve_order(body["order_id"], lines)
        except services.StockNotFound as exc:
            return Response({"detail": str(exc), "sku": exc.sku}, status=status.HTTP_404_NOT_FOUND)
        except (services.NotEnoughStock, services.ReservationConflict) as exc:
            return Response({"detail": str(exc), "sku": exc.sku}, status=status.HTTP_409_CONFLICT)
        data = {"order_id": result.order_id, "lines": [{"sku": sku, "quantity": q} for sku, q in result.lines]}
        return Response(OrderReservationResultSerializer(data).data)

    @extend_schema(request=OrderReleaseSerializer, responses=OrderReleaseResultSerializer)
    @action(detail=False, methods=["post"])
    def release(self, request):
        """Release the order's reservations of these SKUs; idempotent and final (a later reserve of them is refused)."""
        body = _valid(OrderReleaseSerializer, request)
        items = services.release_order_lines(body["order_id"], body["skus"])
        return Response(OrderReleaseResultSerializer({"order_id": body["order_id"], "released": items}).data)


def _valid(serializer_class, request) -> dict:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _validate_sku(sku: str) -> None:
    try:
        Stock._meta.get_field("sku").run_validators(sku)
    except DjangoValidationError as exc:
        raise ValidationError({"sku": exc.messages}) from None
