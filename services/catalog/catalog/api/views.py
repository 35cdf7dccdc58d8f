"""The album API: anyone reads, staff write (the shared default permission)."""

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import filters, viewsets
from rest_framework.exceptions import ValidationError

from catalog.api.serializers import AlbumSerializer
from catalog.models import Album
from musiccorp_common.pagination import PageNumberPagination

# At most one page of SKUs per lookup, so that every album asked for fits in the answer.
MAX_SKUS = PageNumberPagination.max_page_size


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("genre", str, description="Only albums of this genre (case-insensitive)."),
            OpenApiParameter(
                "sku",
                str,
                many=True,
                explode=True,
                description=f"Only these SKUs (repeatable, at most {MAX_SKUS}); unknown ones absent.",
            ),
        ]
    )
)
class AlbumViewSet(viewsets.ModelViewSet):
    """Albums by SKU. ``?search=`` matches title or artist; ``?genre=`` filters by genre.

    ``?sku=CD001&sku=CD002`` (repeatable, at most MAX_SKUS) lists only those albums, the batch
    price lookup of the order service (issue 10: one call per order instead of one per line).
    SKUs the catalog does not have are simply absent from the results.
    """

    serializer_class = AlbumSerializer
    lookup_field = "sku"
    filter_backends = [filters.SearchFilter]
    search_fields = ["title", "artist"]

    def get_queryset(self):
        queryset = Album.objects.all()
        genre = self.request.query_params.get("genre")
        if genre:
            queryset = queryset.filter(genre__iexact=genre)
        skus = self.request.query_params.getlist("sku")
        if skus:
            if len(skus) > MAX_SKUS:
                raise ValidationError({"sku": [f"At most {MAX_SKUS} SKUs per request."]})
            queryset = queryset.filter(sku__in=skus)
        return queryset
