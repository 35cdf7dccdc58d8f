"""WSGI entry point of the shipping service (gunicorn loads ``config.wsgi``)."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

from musiccorp_common.wsgi import build_application

application = build_application()
