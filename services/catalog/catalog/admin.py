"""Albums in the Django admin, for staff who curate the catalog."""

from django.contrib import admin

from catalog.models import Album


@admin.register(Album)
class AlbumAdmin(admin.ModelAdmin):
    list_display = ["sku", "title", "artist", "genre", "release_year", "price", "currency"]
    list_filter = ["genre", "release_year"]
    search_fields = ["sku", "title", "artist"]
    readonly_fields = ["created_at", "updated_at"]
