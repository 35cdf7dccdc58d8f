"""OTLP/HTTP in, Zipkin out: the local stack's trace receiver in front of the Zipkin server.

The services export spans with OpenTelemetry's OTLP/HTTP exporter (``OTEL_EXPORTER_OTLP_ENDPOINT``,
as in the cluster). The local trace backend is Zipkin's server jar, whose UI a person can open, but
its OTLP receiver is a separate module that no registry reachable here serves; so this process
takes ``POST /v1/traces`` (protobuf, optionally gzip), turns each span into Zipkin's v2 JSON model
as OpenTelemetry's Zipkin exporter specification maps it, and posts the batch to Zipkin's
``/api/v2/spans``. Why Zipkin and not Jaeger: docs/local-stack.md, "Traces and metrics".

Usage: otlp_zipkin.py --listen 127.0.0.1:4318 --zipkin http://127.0.0.1:9411
"""

from __future__ import annotations

import argparse
import gzip
import json
import logging
import sys
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

logger = logging.getLogger("otlp_zipkin")

# OTLP span kinds that Zipkin knows; INTERNAL (and unspecified) spans carry no kind in Zipkin.
_KINDS = {
    Span.SPAN_KIND_SERVER: "SERVER",
    Span.SPAN_KIND_CLIENT: "CLIENT",
    Span.SPAN_KIND_PRODUCER: "PRODUCER",
    Span.SPAN_KIND_CONSUMER: "CONSUMER",
}
_FORWARD_TIMEOUT_SECONDS = 10


def _value_text(value: AnyValue) -> str:
    """An attribute value as Zipkin's string tag (arrays and maps as JSON, as the specification says)."""
    kind = value.WhichOneof("value")
    if kind == "string_value":
        return value.string_value
    if kind == "bool_value":
        return "true" if value.bool_value else "false"
    if kind in ("int_value", "double_value"):
        return str(getattr(value, kind))
    if kind == "array_value":
        return json.dumps([_value_text(item) for item in value.array_value.values])
    if kind == "kvlist_value":
        return json.dumps({item.key: _value_text(item.value) for item in value.kvlist_value.values})
    if kind == "bytes_value":
        return value.bytes_value.hex()
    return ""


def _attributes(attributes) -> dict[str, str]:
    return {attribute.key: _value_text(attribute.value) for attribute in attributes}


def zipkin_span(span: Span, service_name: str, scope_name: str) -> dict:
    """One OTLP span in Zipkin's v2 model (microsecond times, hex ids, string tags)."""
    start_us = span.start_time_unix_nano // 1000
    tags = _attributes(span.attributes)
    if scope_name:
        tags["otel.scope.name"] = scope_name
    if span.status.code == Status.STATUS_CODE_ERROR:
        tags["otel.status_code"] = "ERROR"
        tags["error"] = span.status.message or "true"
    elif span.status.code == Status.STATUS_CODE_OK:
        tags["otel.status_code"] = "OK"
    result = {
        "traceId": span.trace_id.hex(),
        "id": span.span_id.hex(),
        "name": span.name,
        "timestamp": start_us,
        # Zipkin drops a zero duration: a span that took under a microsecond still took some time.
        "duration": max(1, span.end_time_unix_nano // 1000 - start_us),
        "localEndpoint": {"serviceName": service_name},
        "tags": tags,
    }
    if span.parent_span_id:
        result["parentId"] = span.parent_span_id.hex()
    if span.kind in _KINDS:
        result["kind"] = _KINDS[span.kind]
    if span.events:
        result["annotations"] = [{"timestamp": event.time_unix_nano // 1000, "value": event.name} for event in span.events]
    return result


def zipkin_spans(request: ExportTraceServiceRequest) -> list[dict]:
    """Every span of an OTLP export request, named after its resource's ``service.name``."""
    spans = []
    for resource_spans in request.resource_spans:
        service_name = _attributes(resource_spans.resource.attributes).get("service.name", "unknown_service")
        for scope_spans in resource_spans.scope_spans:
            spans.extend(zipkin_span(span, service_name, scope_spans.scope.name) for span in scope_spans.spans)
    return spans


def _forward(zipkin_url: str, spans: list[dict]) -> None:
    request = urllib.request.Request(  # noqa: S310 (the Zipkin URL is the stack's own, http on loopback)
        f"{zipkin_url}/api/v2/spans",
        data=json.dumps(spans).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=_FORWARD_TIMEOUT_SECONDS) as response:  # noqa: S310 (as above)
        response.read()


class OtlpHandler(BaseHTTPRequestHandler):
    """``POST /v1/traces`` (OTLP/HTTP protobuf) forwarded to Zipkin; ``GET /health`` for the stack's probe."""

    zipkin_url = ""

    def do_GET(self):
        self._reply(200 if self.path == "/health" else 404, b"ok\n" if self.path == "/health" else b"", "text/plain")

    def do_POST(self):
        if self.path != "/v1/traces":
            self._reply(404, b"", "text/plain")
            return
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        request = ExportTraceServiceRequest()
        try:
            request.ParseFromString(body)
        except Exception:  # any malformed body is the sender's error (DecodeError and friends)
            self._reply(400, b"not an OTLP protobuf ExportTraceServiceRequest\n", "text/plain")
            return
        spans = zipkin_spans(request)
        try:
            if spans:
                _forward(self.zipkin_url, spans)
        except OSError as exc:
            # 503 tells the exporter to retry the batch later (OTLP/HTTP's retryable status).
            logger.warning("zipkin did not take %d spans: %s", len(spans), exc)
            self._reply(503, b"zipkin unavailable\n", "text/plain")
            return
        self._reply(200, ExportTraceServiceResponse().SerializeToString(), "application/x-protobuf")

    def _reply(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):
        # Every export would be a line; failures are logged above.
        return


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listen", default="127.0.0.1:4318", help="host:port of the OTLP/HTTP receiver")
    parser.add_argument("--zipkin", default="http://127.0.0.1:9411", help="base URL of the Zipkin server")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s", stream=sys.stderr)
    host, port = args.listen.rsplit(":", 1)
    OtlpHandler.zipkin_url = args.zipkin.rstrip("/")
    server = ThreadingHTTPServer((host, int(port)), OtlpHandler)
    logger.info("OTLP/HTTP on %s, forwarding to %s", args.listen, OtlpHandler.zipkin_url)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
