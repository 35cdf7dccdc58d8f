"""Routes of the album API: /albums and /albums/<sku> (a trailing slash is accepted too)."""

from catalog.api.views import AlbumViewSet
from musiccorp_common.routers import OptionalSlashRouter

router = OptionalSlashRouter()
router.register("albums", AlbumViewSet, basename="album")

urlpatterns = router.urls
