"""Correlation ids: one id follows a request through every service, log line and event.

The id arrives in ``X-Correlation-ID`` (or is generated), lives in a context variable for
the duration of the request or message, and is echoed on the response. Context variables
are per-thread and per-task, so concurrent requests never see each other's id.
"""

import contextvars
import re
import uuid
from contextlib import contextmanager

HEADER = "X-Correlation-ID"
_META_KEY = "HTTP_X_CORRELATION_ID"
# Accept what clients commonly send (uuids, request ids) but nothing that could forge log
# lines or headers: bounded length, no whitespace or control characters.
_VALID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")

_current: contextvars.ContextVar[str | None] = contextvars.ContextVar("correlation_id", default=None)


def new_correlation_id() -> str:
    return str(uuid.uuid4())


def accept_or_generate(candidate: str | None) -> str:
    """The caller's id when it is well-formed, a fresh one otherwise."""
    if candidate and _VALID.match(candidate):
        return candidate
    return new_correlation_id()


def current_correlation_id() -> str | None:
    return _current.get()


@contextmanager
def use_correlation_id(correlation_id: str):
    """Make ``correlation_id`` current for the block (requests, consumed messages, commands)."""
    token = _current.set(correlation_id)
    try:
        yield correlation_id
    finally:
        _current.reset(token)


class CorrelationIdMiddleware:
    """Django middleware: read or generate the id, expose it to logs and traces, echo it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        correlation_id = accept_or_generate(request.META.get(_META_KEY))
        request.correlation_id = correlation_id
        _tag_current_span(correlation_id)
        with use_correlation_id(correlation_id):
            response = self.get_response(request)
        response[HEADER] = correlation_id
        return response


def _tag_current_span(correlation_id: str) -> None:
    # Imported lazily: the OpenTelemetry API is a no-op when no SDK is configured.
    from opentelemetry import trace

    trace.get_current_span().set_attribute("musiccorp.correlation_id", correlation_id)
