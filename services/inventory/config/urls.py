"""inventory's URLs: the stock API, the admin, and the shared health/metrics/docs routes."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from musiccorp_common.urls import handler400, handler403, handler404, handler500  # noqa: F401 -- Django looks them up here
from musiccorp_common.urls import urlpatterns as shared_urlpatterns

urlpatterns = [
    path("", include("inventory.api.urls")),
    path(settings.ADMIN_URL, admin.site.urls),
    *shared_urlpatterns,
]
