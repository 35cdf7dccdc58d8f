"""Tracing without an exporter: no SDK, but every request still has a trace context for its events."""

from django.http import HttpResponse
from django.test import RequestFactory

from musiccorp_common import telemetry
from musiccorp_common.events.headers import outgoing_headers

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"


def _headers_seen_by_a_view(**meta) -> dict[str, str]:
    seen = {}

    def view(request):
        seen.update(outgoing_headers("corr-1"))
        return HttpResponse()

    telemetry.TraceContextMiddleware(view)(RequestFactory().post("/orders", **meta))
    return seen


def test_the_callers_trace_id_is_on_the_events_of_the_request():
    headers = _headers_seen_by_a_view(HTTP_TRACEPARENT=f"00-{TRACE_ID}-00f067aa0ba902b7-01")
    assert headers["traceparent"].split("-")[1] == TRACE_ID


def test_a_request_without_trace_context_gets_a_fresh_unsampled_one():
    first = _headers_seen_by_a_view()["traceparent"].split("-")
    second = _headers_seen_by_a_view()["traceparent"].split("-")
    assert first[0] == "00"
    assert len(first[1]) == 32
    assert first[3] == "00"
    assert first[1] != second[1]


def test_a_malformed_traceparent_is_replaced():
    version, trace_id, _span, _flags = _headers_seen_by_a_view(HTTP_TRACEPARENT="garbage")["traceparent"].split("-")
    assert version == "00"
    assert int(trace_id, 16) != 0


def test_nothing_is_installed_without_an_exporter(monkeypatch):
    installed = []
    monkeypatch.setattr(telemetry, "_instrument_libraries", lambda: installed.append("instrumented"))
    monkeypatch.setattr(telemetry.trace, "set_tracer_provider", installed.append)
    for exporter, endpoint in (("none", "http://collector:4318"), ("otlp", "")):
        monkeypatch.setattr(telemetry, "_configured", False)
        telemetry.configure_tracing("test", exporter, endpoint)
    assert installed == []
    assert telemetry.exporting("otlp", "http://collector:4318")


def test_log_lines_inside_a_trace_carry_its_ids():
    import json
    import logging

    from musiccorp_common.logging import JsonFormatter

    lines = []

    def view(request):
        record = logging.LogRecord("musiccorp.test", logging.INFO, __file__, 1, "handled", (), None)
        lines.append(json.loads(JsonFormatter(service="test").format(record)))
        return HttpResponse()

    request = RequestFactory().post("/orders", HTTP_TRACEPARENT=f"00-{TRACE_ID}-00f067aa0ba902b7-01")
    telemetry.TraceContextMiddleware(view)(request)
    idle = logging.LogRecord("musiccorp.test", logging.INFO, __file__, 1, "idle", (), None)
    outside = json.loads(JsonFormatter(service="test").format(idle))
    assert (lines[0]["trace_id"], len(lines[0]["span_id"])) == (TRACE_ID, 16)
    assert "trace_id" not in outside
