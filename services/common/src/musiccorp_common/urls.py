"""Routes every service mounts beside its own API: health, metrics, OpenAPI and docs."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from musiccorp_common import health

urlpatterns = [
    path("health", health.alive, name="health"),
    path("health/live", health.alive, name="health-live"),
    path("health/ready", health.ready, name="health-ready"),
    # /metrics: Prometheus text format; the gateway never routes it.
    path("", include("django_prometheus.urls")),
    path("schema", SpectacularAPIView.as_view(), name="schema"),
    path("docs", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
]

handler400 = "musiccorp_common.errors.bad_request"
handler403 = "musiccorp_common.errors.permission_denied"
handler404 = "musiccorp_common.errors.not_found"
handler500 = "musiccorp_common.errors.server_error"
