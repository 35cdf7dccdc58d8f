// Command order-go is the Go implementation of MusicCorp's order service (issue 13): the same
// HTTP API, database schema and outbox as services/order, on ORDER_GO_PORT (5006).
//
// Start-up: read the environment, connect to PostgreSQL, refuse a schema version it does not
// know (exit 2), load the event schemas, serve. SIGTERM or SIGINT: stop accepting, finish the
// requests in flight (ORDER_GO_SHUTDOWN_SECONDS), stop the background workers, exit 0.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"musiccorp/order-go/internal/api"
	"musiccorp/order-go/internal/config"
	"musiccorp/order-go/internal/events"
	"musiccorp/order-go/internal/peers"
	"musiccorp/order-go/internal/store"
	"musiccorp/order-go/internal/tracing"
)

func main() {
	os.Exit(run())
}

func run() int {
	cfg, err := config.Load()
	if err != nil {
		fmt.Fprintln(os.Stderr, "order-go:", err)
		return 2
	}
	log := newLogger(cfg)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()

	pool, err := connect(ctx, cfg)
	if err != nil {
		log.Error("cannot connect to the order database", "error", err.Error())
		return 1
	}
	defer pool.Close()
	if err := store.CheckSchema(ctx, pool); err != nil {
		log.Error("refusing to start", "error", err.Error())
		return 2
	}
	eventsConfig, err := events.ConfigFromEnv()
	if err != nil {
		log.Error("bad event settings", "error", err.Error())
		return 2
	}
	schemas, err := events.LoadSchemas(eventsConfig.SchemaDir)
	if err != nil {
		log.Error("cannot load the event schemas", "error", err.Error())
		return 2
	}
	// Spans over OTLP/HTTP when OTEL_TRACES_EXPORTER=otlp, as the Django services (internal/tracing).
	stopTracing, err := tracing.Setup(ctx)
	if err != nil {
		log.Error("bad tracing settings", "error", err.Error())
		return 2
	}
	defer func() {
		flushCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := stopTracing(flushCtx); err != nil {
			log.Warn("spans not flushed", "error", err.Error())
		}
	}()
	publisher := events.NewPublisher(eventsConfig, schemas)
	server := newServer(cfg, pool, publisher, log)
	httpServer := &http.Server{
		Addr:              cfg.Addr(),
		Handler:           server.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		// Longer than a placement can take: both peer budgets plus the database work.
		WriteTimeout: cfg.PeerBudget + cfg.ReleaseBudget + 15*time.Second,
		IdleTimeout:  60 * time.Second,
	}
	workers, failed := startBackground(ctx, pool, eventsConfig, publisher, log)

	served := make(chan error, 1)
	go func() { served <- httpServer.ListenAndServe() }()
	log.Info("order-go listening", "address", cfg.Addr())
	exitCode := 0
	select {
	case err := <-served:
		log.Error("server failed", "error", err.Error())
		return 1
	case err := <-failed:
		// The consumer cannot go on: exit non-zero so that the supervisor restarts the process.
		log.Error("background worker failed", "error", err.Error())
		exitCode = 1
	case <-ctx.Done():
	}
	log.Info("shutting down: finishing requests in flight")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownGrace)
	defer cancel()
	err = httpServer.Shutdown(shutdownCtx)
	workers.stop()
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Error("shutdown incomplete", "error", err.Error())
		return 1
	}
	log.Info("order-go stopped")
	return exitCode
}

func connect(ctx context.Context, cfg config.Config) (*pgxpool.Pool, error) {
	poolConfig, err := pgxpool.ParseConfig(cfg.DatabaseURL)
	if err != nil {
		return nil, fmt.Errorf("DATABASE_URL: %w", err)
	}
	poolConfig.MaxConns = cfg.DatabaseMaxConns
	if poolConfig.ConnConfig.ConnectTimeout == 0 {
		poolConfig.ConnConfig.ConnectTimeout = 5 * time.Second // DATABASE_CONNECT_TIMEOUT's default
	}
	pool, err := pgxpool.NewWithConfig(ctx, poolConfig)
	if err != nil {
		return nil, err
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return pool, nil
}

func newServer(cfg config.Config, pool *pgxpool.Pool, publisher *events.Publisher, log *slog.Logger) *api.Server {
	client := peers.NewHTTPClient()
	return &api.Server{
		Config:    cfg,
		Pool:      pool,
		Catalog:   &peers.Client{Service: "catalog", BaseURL: cfg.CatalogURL, Token: cfg.ServiceToken, HTTP: client, Log: log},
		Inventory: &peers.Client{Service: "inventory", BaseURL: cfg.InventoryURL, Token: cfg.ServiceToken, HTTP: client, Log: log},
		Outbox:    publisher,
		Metrics:   api.NewMetrics(),
		Log:       log,
	}
}

// newLogger writes one JSON object per line on stdout, as the Django services do
// (musiccorp_common.logging: ts, level, message, service), with each request's correlation id.
func newLogger(cfg config.Config) *slog.Logger {
	handler := slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{
		Level: slogLevel(cfg.LogLevel),
		ReplaceAttr: func(groups []string, attr slog.Attr) slog.Attr {
			switch attr.Key {
			case slog.TimeKey:
				attr.Key = "ts"
			case slog.MessageKey:
				attr.Key = "message"
			case slog.LevelKey:
				attr.Value = slog.StringValue(levelNames[attr.Value.String()])
			}
			return attr
		},
	})
	return slog.New(api.LogHandler{Handler: handler}).With("service", "order", "implementation", "order-go")
}

// levelNames are Python's level names, lower-cased as the Django services log them.
var levelNames = map[string]string{"DEBUG": "debug", "INFO": "info", "WARN": "warning", "ERROR": "error"}

func slogLevel(name string) slog.Level {
	switch name {
	case "DEBUG":
		return slog.LevelDebug
	case "WARNING", "WARN":
		return slog.LevelWarn
	case "ERROR", "CRITICAL":
		return slog.LevelError
	}
	return slog.LevelInfo
}
