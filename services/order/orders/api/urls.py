"""Routes of the order API: /orders and /orders/<id> (a trailing slash is accepted too)."""

from musiccorp_common.routers import OptionalSlashRouter
from orders.api.views import OrderViewSet

router = OptionalSlashRouter()
router.register("orders", OrderViewSet, basename="order")

urlpatterns = router.urls
