"""The DRF router every service uses: contract paths have no trailing slash, but one is accepted."""

from rest_framework.routers import SimpleRouter


class OptionalSlashRouter(SimpleRouter):
    """``/albums`` and ``/albums/`` both resolve, without a redirect (a POST cannot follow one)."""

    def __init__(self):
        super().__init__()
        self.trailing_slash = "/?"
