package main

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"musiccorp/order-go/internal/events"
)

// Every worker order-go runs beside its HTTP server unless ORDER_GO_WORKERS names fewer
// (comma-separated; "none" for the HTTP API alone). The Django order service runs the same
// three as the processes order-consumer and order-expiry; with both implementations up they
// share the consumer group and the outbox (claims), so either handles any order's events.
const defaultWorkers = "consumer,relay,expiry"

// expiryEvery is how often PENDING orders past ORDER_PAYMENT_TIMEOUT_SECONDS are cancelled
// (the Django side's `expire_orders --every 30`).
const expiryEvery = 30 * time.Second

type background struct {
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// stop cancels the workers and returns once each has stopped (offsets committed, producer flushed).
func (b *background) stop() {
	b.cancel()
	b.wg.Wait()
}

// startBackground starts the workers ORDER_GO_WORKERS names. The channel carries a worker's
// failure that should end the process (the consumer's ErrConsumerFailed).
func startBackground(ctx context.Context, pool *pgxpool.Pool, cfg events.Config, publisher *events.Publisher, log *slog.Logger) (*background, <-chan error) {
	ctx, cancel := context.WithCancel(ctx)
	b := &background{cancel: cancel}
	failed := make(chan error, 3)
	run := func(name string, work func(context.Context) error) {
		b.wg.Add(1)
		go func() {
			defer b.wg.Done()
			log.Info("worker started", "worker", name)
			if err := work(ctx); err != nil && ctx.Err() == nil {
				failed <- errors.New(name + ": " + err.Error())
			}
		}()
	}
	workers := os.Getenv("ORDER_GO_WORKERS")
	if workers == "" {
		workers = defaultWorkers
	}
	for _, name := range strings.Split(workers, ",") {
		switch strings.TrimSpace(name) {
		case "consumer":
			// Counts overdue orders from the process that handles their events, as Django's consumer does.
			prometheus.MustRegister(events.NewStuckOrdersCollector(pool, cfg, log))
			run("consumer", func(ctx context.Context) error { return events.RunConsumer(ctx, pool, cfg, log) })
		case "relay":
			run("relay", func(ctx context.Context) error { return events.RunRelay(ctx, pool, cfg, log) })
		case "expiry":
			run("expiry", func(ctx context.Context) error { return expirePeriodically(ctx, pool, cfg, publisher, log) })
		case "none", "":
		default:
			log.Warn("unknown worker in ORDER_GO_WORKERS, ignored", "worker", name)
		}
	}
	return b, failed
}

func expirePeriodically(ctx context.Context, pool *pgxpool.Pool, cfg events.Config, publisher *events.Publisher, log *slog.Logger) error {
	ticker := time.NewTicker(expiryEvery)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-ticker.C:
		}
		// A failed pass (database away) is tried again at the next tick: nothing is lost meanwhile.
		if expired, err := events.ExpirePendingOrders(ctx, pool, publisher, log, cfg.PaymentTimeout, 100); err != nil {
			log.Warn("expiry pass failed", "error", err.Error())
		} else if len(expired) > 0 {
			log.Info("expired pending orders", "count", len(expired))
		}
	}
}
