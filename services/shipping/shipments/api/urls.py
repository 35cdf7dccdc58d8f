"""Routes of the shipment API: /shipments and /shipments/<id> (a trailing slash is accepted too)."""

from musiccorp_common.routers import OptionalSlashRouter
from shipments.api.views import ShipmentViewSet

router = OptionalSlashRouter()
router.register("shipments", ShipmentViewSet, basename="shipment")

urlpatterns = router.urls
