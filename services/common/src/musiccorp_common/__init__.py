"""musiccorp_common: what every MusicCorp service shares.

The public surface is small and named here; the machinery lives in the modules.

- ``musiccorp_common.settings``: the base Django settings, read from the environment
  (star-imported by each service's ``config/settings.py``).
- ``musiccorp_common.urls``: health, metrics and OpenAPI routes every service mounts.
- ``musiccorp_common.wsgi.build_application``: the WSGI app with tracing and the gateway prefix.
- ``musiccorp_common.correlation``: the correlation id of the current request or message.
- ``musiccorp_common.gunicorn_conf``: the gunicorn configuration (``-c python:...``).
"""

from musiccorp_common.correlation import current_correlation_id, use_correlation_id

__all__ = ["current_correlation_id", "use_correlation_id"]
