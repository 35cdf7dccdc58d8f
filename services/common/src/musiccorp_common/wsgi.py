"""The WSGI application of a service: Django, with tracing and the gateway's path prefix."""

import django
from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler

from musiccorp_common.telemetry import configure_tracing


class ForwardedPrefixMiddleware:
    """Honour ``X-Forwarded-Prefix`` from the gateway as the WSGI ``SCRIPT_NAME``.

    The gateway strips ``/api/<prefix>`` before proxying; with the prefix restored as the
    script name, every URL Django builds (admin links, redirects, static files) points back
    through the gateway. Direct requests on the service port carry no such header.
    """

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        prefix = environ.get("HTTP_X_FORWARDED_PREFIX", "").rstrip("/")
        if prefix.startswith("/") and "//" not in prefix:
            environ["SCRIPT_NAME"] = prefix
        return self.app(environ, start_response)


def build_application():
    django.setup(set_prefix=False)
    configure_tracing(settings.SERVICE_NAME, settings.OTEL_TRACES_EXPORTER, settings.OTEL_EXPORTER_OTLP_ENDPOINT)
    return ForwardedPrefixMiddleware(WSGIHandler())
