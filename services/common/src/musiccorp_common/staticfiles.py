"""Static file URLs that follow the request's script prefix.

Django caches STATIC_URL with the script prefix of the first access, but a service is
reached both directly (no prefix) and through the gateway (``/api/<prefix>``). This storage
builds each URL with the prefix of the request being served instead.
"""

from django.urls import get_script_prefix
from whitenoise.storage import CompressedStaticFilesStorage


class PrefixedStaticFilesStorage(CompressedStaticFilesStorage):
    def url(self, name):
        return get_script_prefix().rstrip("/") + super().url(name)
