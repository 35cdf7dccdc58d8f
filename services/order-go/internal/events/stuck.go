package events

import (
	"context"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
)

// StuckOrdersCollector is musiccorp_orders_stuck{status}: orders PENDING longer than
// ORDER_PENDING_DEADLINE_SECONDS or PAID longer than ORDER_PAID_DEADLINE_SECONDS
// (orders.metrics.StuckOrdersCollector, the MusicCorpOrdersStuck alert), computed from the
// database at scrape time. The Django side serves it from the consumer process only, one per
// deployment: register it where the consumer runs, in one process, not in every web replica.
type StuckOrdersCollector struct {
	pool            *pgxpool.Pool
	pendingDeadline time.Duration
	paidDeadline    time.Duration
	log             *slog.Logger
	desc            *prometheus.Desc
}

// NewStuckOrdersCollector reads the deadlines from cfg.
func NewStuckOrdersCollector(pool *pgxpool.Pool, cfg Config, log *slog.Logger) *StuckOrdersCollector {
	return &StuckOrdersCollector{
		pool:            pool,
		pendingDeadline: cfg.PendingDeadline,
		paidDeadline:    cfg.PaidDeadline,
		log:             log,
		desc: prometheus.NewDesc("musiccorp_orders_stuck",
			"Orders PENDING longer than ORDER_PENDING_DEADLINE_SECONDS or PAID longer than ORDER_PAID_DEADLINE_SECONDS.",
			[]string{"status"}, nil),
	}
}

// Describe: registering must not query the database.
func (c *StuckOrdersCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

// Collect: no sample rather than a wrong zero when the database does not answer; the
// database's own alerts cover the outage. updated_at of a PAID order is when it became PAID.
func (c *StuckOrdersCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var pending, paid int64
	err := c.pool.QueryRow(ctx, `SELECT
		count(*) FILTER (WHERE status = $1 AND created_at < now() - make_interval(secs => $2)),
		count(*) FILTER (WHERE status = $3 AND updated_at < now() - make_interval(secs => $4))
		FROM `+orderTable+` WHERE status IN ($1, $3)`,
		StatusPending, c.pendingDeadline.Seconds(), StatusPaid, c.paidDeadline.Seconds()).Scan(&pending, &paid)
	if err != nil {
		c.log.Warn("stuck orders: the database did not answer", "error", err.Error())
		return
	}
	ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(paid), StatusPaid)
	ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(pending), StatusPending)
}
