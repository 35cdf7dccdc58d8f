"""Routes of the album API: /albums and /albums/<sku> (a trailing slash is accepted too)."""

from musiccorp_common.routers import OptionalSlashRouter

from catalog.api.views import AlbumViewSet

router = OptionalSlashRouter()
router.register("albums", AlbumViewSet, basename="album")

urlpatterns = router.urls
