"""WSGI entry point of the catalog service (gunicorn loads ``config.wsgi``)."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

from musiccorp_common.wsgi import build_application  # noqa: E402 -- needs the settings module set first

application = build_application()
