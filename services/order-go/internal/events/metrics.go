package events

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// The Prometheus metrics, with the names and labels of the Python services'
// (musiccorp_common/events/metrics.py and orders/metrics.py), so dashboards and alerts read
// either implementation. They are registered once, in prometheus.DefaultRegisterer, when the
// package is loaded: the HTTP side serves them with promhttp.Handler() and must not register
// collectors of these names itself (CountOrderTransition counts orders for it).
var (
	eventsConsumed = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "musiccorp_events_consumed_total",
		Help: "Messages the consumer finished, by outcome (handled, duplicate, dead_lettered).",
	}, []string{"topic", "event_type", "outcome"})
	eventHandlerErrors = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "musiccorp_event_handler_errors_total",
		Help: "Failed handler attempts (each retry counts).",
	}, []string{"topic"})
	eventsDeadLettered = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "musiccorp_events_dead_lettered_total",
		Help: "Messages sent to <topic>.dlq.",
	}, []string{"topic"})
	eventHandleSeconds = promauto.NewHistogramVec(prometheus.HistogramOpts{
		Name: "musiccorp_event_handle_seconds",
		Help: "Time to handle one message, retries included.",
		// prometheus_client's default buckets, as the Python histogram has.
		Buckets: []float64{.005, .01, .025, .05, .075, .1, .25, .5, .75, 1, 2.5, 5, 7.5, 10},
	}, []string{"topic"})
	consumerLag = promauto.NewGaugeVec(prometheus.GaugeOpts{
		Name: "musiccorp_consumer_lag",
		Help: "Messages behind the partition's end after the last commit.",
	}, []string{"topic", "partition"})
	consumerRetrying = promauto.NewGauge(prometheus.GaugeOpts{
		Name: "musiccorp_consumer_retrying",
		Help: "1 while the consumer retries a message after a transient failure (database or Kafka away); it is not ready then.",
	})
	outboxPublished = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "musiccorp_outbox_published_total",
		Help: "Outbox events delivered to Kafka.",
	}, []string{"topic"})
	outboxPublishErrors = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "musiccorp_outbox_publish_errors_total",
		Help: "Outbox deliveries that failed.",
	}, []string{"topic"})
	outboxPending = promauto.NewGauge(prometheus.GaugeOpts{
		Name: "musiccorp_outbox_pending",
		Help: "Outbox events not yet delivered and not parked (read by the last relay pass).",
	})
	outboxParked = promauto.NewGauge(prometheus.GaugeOpts{
		Name: "musiccorp_outbox_parked",
		Help: "Outbox events parked after EVENTS_RELAY_MAX_ATTEMPTS failed deliveries (docs/runbooks/outbox.md).",
	})
	outboxOldestUnsentAge = promauto.NewGauge(prometheus.GaugeOpts{
		Name: "musiccorp_outbox_oldest_unsent_age_seconds",
		Help: "Age of the oldest outbox event neither delivered nor parked; 0 when there is none.",
	})
	// prometheus_client names the Counter "musiccorp_orders" musiccorp_orders_total.
	ordersByStatus = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "musiccorp_orders_total",
		Help: "Orders entering each status (PENDING when placed, then PAID, COMPLETED or CANCELLED).",
	}, []string{"status"})
	// orders.metrics.SAGA_SECONDS: placement to COMPLETED or CANCELLED, observed once per order.
	sagaSeconds = promauto.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "musiccorp_order_saga_seconds",
		Help:    "Seconds from an order's placement to its terminal status (COMPLETED or CANCELLED), observed once per order.",
		Buckets: []float64{0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600},
	}, []string{"status"})
)

// Order statuses (orders.models.OrderStatus).
const (
	StatusPending   = "PENDING"
	StatusPaid      = "PAID"
	StatusCompleted = "COMPLETED"
	StatusCancelled = "CANCELLED"
)

// CountOrderTransition counts an order entering status. Call it after the transaction that
// made the change committed (a rolled-back change counts nothing), as Django's
// transaction.on_commit does for orders.metrics.count_transition.
func CountOrderTransition(status string) {
	ordersByStatus.WithLabelValues(status).Inc()
}
