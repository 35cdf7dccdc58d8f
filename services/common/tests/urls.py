"""URLs of the test project: the shared routes and the admin (login throttling is tested on it)."""

from django.contrib import admin
from django.urls import path

from musiccorp_common.urls import (  # noqa: F401 -- Django looks them up here
    handler404,
    handler500,
)
from musiccorp_common.urls import urlpatterns as shared_urlpatterns

urlpatterns = [path("admin/", admin.site.urls), *shared_urlpatterns]
