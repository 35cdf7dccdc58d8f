"""The album API: anyone reads, staff write (the shared default permission)."""

from rest_framework import filters, viewsets

from catalog.api.serializers import AlbumSerializer
from catalog.models import Album


class AlbumViewSet(viewsets.ModelViewSet):
    """Albums by SKU. ``?search=`` matches title or artist; ``?genre=`` filters by genre."""

    serializer_class = AlbumSerializer
    lookup_field = "sku"
    filter_backends = [filters.SearchFilter]
    search_fields = ["title", "artist"]

    def get_queryset(self):
        queryset = Album.objects.all()
        genre = self.request.query_params.get("genre")
        if genre:
            queryset = queryset.filter(genre__iexact=genre)
        return queryset
