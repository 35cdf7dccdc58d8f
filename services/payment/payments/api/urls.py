"""Routes of the payment API: /payments and /payments/<id> (a trailing slash is accepted too)."""

from musiccorp_common.routers import OptionalSlashRouter
from payments.api.views import PaymentViewSet

router = OptionalSlashRouter()
router.register("payments", PaymentViewSet, basename="payment")

urlpatterns = router.urls
