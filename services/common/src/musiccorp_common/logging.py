"""Structured JSON logs on stdout, one object per line, each carrying the correlation id and, inside
a trace (every request and every consumed event has one, musiccorp_common.telemetry), its trace and
span ids: Grafana links a log line to its trace in Tempo by trace_id, and a trace to its lines."""

import datetime
import json
import logging

from opentelemetry import trace

from musiccorp_common.correlation import current_correlation_id

# Attributes every LogRecord has; anything else on a record came from ``extra=`` and is logged.
_STANDARD_ATTRS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """Formats a record as one JSON object: time, level, logger, message, ids and extras."""

    def __init__(self, service: str = "", **kwargs):
        super().__init__(**kwargs)
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": datetime.datetime.fromtimestamp(record.created, tz=datetime.UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "service": self.service,
            "correlation_id": getattr(record, "correlation_id", None) or current_correlation_id(),
        }
        span = trace.get_current_span().get_span_context()
        if span.is_valid:
            entry["trace_id"] = trace.format_trace_id(span.trace_id)
            entry["span_id"] = trace.format_span_id(span.span_id)
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRS and key not in entry:
                entry[key] = value
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def logging_config(service: str, level: str) -> dict:
    """The dictConfig for a service: everything to stdout as JSON."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": JsonFormatter, "service": service}},
        "handlers": {"stdout": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stdout"}},
        "root": {"handlers": ["stdout"], "level": level},
        "loggers": {
            # Django logs each 4xx/5xx itself; our request log already has them, with timing.
            "django.request": {"level": "ERROR"},
            "django.server": {"level": "WARNING"},
        },
    }
