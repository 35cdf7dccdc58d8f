"""OpenTelemetry tracing: one trace per order across HTTP (and, later, Kafka).

Configured once per process, after gunicorn forks (the batch exporter's thread must live in
the worker). Export goes over OTLP/HTTP to OTEL_EXPORTER_OTLP_ENDPOINT; with
OTEL_TRACES_EXPORTER=none spans are still created (so trace ids propagate) but not exported.
"""

import logging

from opentelemetry import trace
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

logger = logging.getLogger("musiccorp.telemetry")
_configured = False


def configure_tracing(service_name: str, exporter: str, endpoint: str) -> None:
    """Install the tracer provider and instrument Django, psycopg and requests (idempotent)."""
    global _configured
    if _configured:
        return
    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: service_name}))
    if exporter == "otlp" and endpoint:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    _instrument_libraries()
    _configured = True
    logger.info("tracing configured", extra={"exporter": exporter if endpoint else "none"})


def _instrument_libraries() -> None:
    from opentelemetry.instrumentation.django import DjangoInstrumentor
    from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor
    from opentelemetry.instrumentation.requests import RequestsInstrumentor

    DjangoInstrumentor().instrument()
    PsycopgInstrumentor().instrument(enable_commenter=False)
    RequestsInstrumentor().instrument()
