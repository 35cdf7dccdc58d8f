"""Routes of the stock API (trailing slash optional).

/stock, /stock/<sku>, /stock/<sku>/reserve, /stock/<sku>/release, and an order's reservations:
/reservations (POST) and /reservations/release (POST).
"""

from inventory.api.views import ReservationViewSet, StockViewSet
from musiccorp_common.routers import OptionalSlashRouter

router = OptionalSlashRouter()
router.register("stock", StockViewSet, basename="stock")
router.register("reservations", ReservationViewSet, basename="reservation")

urlpatterns = router.urls
