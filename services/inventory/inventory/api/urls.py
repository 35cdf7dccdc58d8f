"""Routes of the stock API: /stock, /stock/<sku>, /stock/<sku>/reserve, /stock/<sku>/release (trailing slash optional)."""

from inventory.api.views import StockViewSet
from musiccorp_common.routers import OptionalSlashRouter

router = OptionalSlashRouter()
router.register("stock", StockViewSet, basename="stock")

urlpatterns = router.urls
