package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the Django order service's series that apply to order-go, under the same names and
// labels: the three django-prometheus request series the chart's alert rules and dashboards read
// (musiccorp_common/request_metrics.py). musiccorp_orders_total{status} and the event series are
// package events' (events.CountOrderTransition).
type Metrics struct {
	Registry  *prometheus.Registry
	latency   *prometheus.HistogramVec
	responses *prometheus.CounterVec
	requests  *prometheus.CounterVec
}

// NewMetrics registers the request series in a registry of their own (one per Server).
func NewMetrics() *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "django_http_requests_latency_seconds_by_view_method",
			Help: "Histogram of request processing time labelled by view.",
			// django-prometheus's buckets, so the alert rules' le values exist.
			Buckets: []float64{0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 25.0, 50.0, 75.0},
		}, []string{"view", "method"}),
		responses: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "django_http_responses_total_by_status_view_method_total",
			Help: "Count of responses by status, view, method.",
		}, []string{"status", "view", "method"}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "django_http_requests_total_by_view_transport_method_total",
			Help: "Count of requests by view, transport, method.",
		}, []string{"view", "transport", "method"}),
	}
	m.Registry.MustRegister(m.latency, m.responses, m.requests)
	return m
}

func (s *Server) observe(r *http.Request, view string, status int, took time.Duration) {
	if status == 0 {
		status = http.StatusOK
	}
	s.Metrics.latency.WithLabelValues(view, r.Method).Observe(took.Seconds())
	s.Metrics.responses.WithLabelValues(strconv.Itoa(status), view, r.Method).Inc()
	s.Metrics.requests.WithLabelValues(view, "http", r.Method).Inc()
}
