"""The HTTP request metrics in /metrics: only the django-prometheus series something reads.

django-prometheus's middleware pair updates about fifteen series per request, each a write
into the multiprocess files. The chart's alert rules and dashboards (charts/common, the umbrella's
dashboards, tests/charts/rules) read three of them; ``RequestMetricsMiddleware`` keeps those and
records nothing for the others, and the "before" middleware, which feeds none of the three, is
not installed. A series a new rule or panel needs goes into ``RECORDED``.
"""

from django_prometheus.middleware import Metrics, PrometheusAfterMiddleware

RECORDED = frozenset(
    {
        "django_http_requests_latency_seconds_by_view_method",
        "django_http_responses_total_by_status_view_method",
        "django_http_requests_total_by_view_transport_method",
    }
)


class _Unrecorded:
    """Stands in for a series nobody reads: takes labels and values, writes nothing."""

    def labels(self, *args, **kwargs):
        return self

    def inc(self, *args, **kwargs):
        pass

    def observe(self, *args, **kwargs):
        pass


class RecordedMetrics(Metrics):
    _instance = None  # its own, not the parent's singleton

    def register_metric(self, metric_cls, name, documentation, labelnames=(), **kwargs):
        if name not in RECORDED:
            return _Unrecorded()
        return super().register_metric(metric_cls, name, documentation, labelnames=labelnames, **kwargs)


class RequestMetricsMiddleware(PrometheusAfterMiddleware):
    metrics_cls = RecordedMetrics
