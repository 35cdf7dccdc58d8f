"""The shared Django app: it carries the shared management commands (ensure_superuser, ...)."""

from django.apps import AppConfig


class MusiccorpCommonConfig(AppConfig):
    name = "musiccorp_common"
    verbose_name = "MusicCorp common"

    def ready(self):
        from musiccorp_common import checks  # noqa: F401 -- registers the system checks
