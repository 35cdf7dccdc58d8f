"""OpenTelemetry tracing: one trace per order across HTTP and Kafka.

Configured once per process, after gunicorn forks (the batch exporter's thread must live in
the worker). With ``OTEL_TRACES_EXPORTER=otlp`` and an ``OTEL_EXPORTER_OTLP_ENDPOINT`` the SDK's
tracer provider is installed, Django, psycopg and requests are instrumented, and spans go over
OTLP/HTTP to the endpoint.

Without an exporter nothing is installed: the OpenTelemetry API stays a no-op, which costs
next to nothing (the SDK and its instrumentations cost ~15 ms of CPU per order while exporting
nothing). Trace context still travels with the events then: ``TraceContextMiddleware`` makes the
request's incoming ``traceparent``, or a fresh unsampled one, current for the request, the
outbox stamps it on the events the request publishes, and the consumer makes each event's
context current for its handler (the API's no-op tracer keeps the parent's context), so an
order's events share one trace id. Calls between services over HTTP carry no ``traceparent``
then (that is the requests instrumentation's work), and no span is recorded anywhere.
"""

import logging
import random

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace

logger = logging.getLogger("musiccorp.telemetry")
_configured = False
# The incoming W3C headers in Django's request.META, by the propagator's header name.
_TRACE_HEADERS = {"traceparent": "HTTP_TRACEPARENT", "tracestate": "HTTP_TRACESTATE"}


def exporting(exporter: str, endpoint: str) -> bool:
    """Whether spans are exported: an OTLP exporter with an endpoint to send to."""
    return exporter == "otlp" and bool(endpoint)


def configure_tracing(service_name: str, exporter: str, endpoint: str) -> None:
    """With an exporter, install the SDK's tracer provider and instrument the libraries (idempotent)."""
    global _configured
    if _configured:
        return
    _configured = True
    if not exporting(exporter, endpoint):
        logger.info("tracing off: no exporter, trace context only", extra={"exporter": "none"})
        return
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import SERVICE_NAME, Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: service_name}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    _instrument_libraries()
    logger.info("tracing configured", extra={"exporter": exporter})


def _instrument_libraries() -> None:
    from opentelemetry.instrumentation.django import DjangoInstrumentor
    from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor
    from opentelemetry.instrumentation.requests import RequestsInstrumentor

    DjangoInstrumentor().instrument()
    PsycopgInstrumentor().instrument(enable_commenter=False)
    RequestsInstrumentor().instrument()


class TraceContextMiddleware:
    """Django middleware: a trace context for every request, even when no span is recorded.

    When the Django instrumentation runs (an exporter is configured) its server span is current
    already and this does nothing. Otherwise the caller's ``traceparent`` (or a fresh unsampled
    trace id) is made current for the request, so the events it publishes carry it.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if trace.get_current_span().get_span_context().is_valid:
            return self.get_response(request)
        token = otel_context.attach(_request_context(request.META))
        try:
            return self.get_response(request)
        finally:
            otel_context.detach(token)


def _request_context(meta) -> otel_context.Context:
    carrier = {name: meta[key] for name, key in _TRACE_HEADERS.items() if key in meta}
    context = propagate.extract(carrier) if carrier else otel_context.Context()
    if trace.get_current_span(context).get_span_context().is_valid:
        return context
    return trace.set_span_in_context(trace.NonRecordingSpan(_new_span_context()), context)


def _new_span_context() -> trace.SpanContext:
    # As the SDK's RandomIdGenerator: random ids, never the all-zero (invalid) ones.
    trace_id = span_id = 0
    while trace_id == trace.INVALID_TRACE_ID:
        trace_id = random.getrandbits(128)
    while span_id == trace.INVALID_SPAN_ID:
        span_id = random.getrandbits(64)
    return trace.SpanContext(trace_id, span_id, is_remote=False, trace_flags=trace.TraceFlags(trace.TraceFlags.DEFAULT))
