"""URLs of the test project: only the shared routes."""

from musiccorp_common.urls import (  # noqa: F401 -- Django looks them up here
    handler404,
    handler500,
    urlpatterns,
)
