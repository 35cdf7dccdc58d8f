// Package api is order-go's HTTP side: the order API exactly as the Django order service
// serves it (services/order/orders/api, docs/api.md "order"), plus /health and /metrics.
package api

import (
	"context"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"musiccorp/order-go/internal/config"
	"musiccorp/order-go/internal/events"
	"musiccorp/order-go/internal/peers"
)

// Server holds what the handlers use.
type Server struct {
	Config    config.Config
	Pool      *pgxpool.Pool
	Catalog   *peers.Client
	Inventory *peers.Client
	Outbox    *events.Publisher
	Metrics   *Metrics
	Log       *slog.Logger
}

// DRF's router: /orders and /orders/<id>, a trailing slash optional, an id without "/" or ".".
var detailPath = regexp.MustCompile(`^/orders/([^/.]+)/?$`)

// Handler routes every request.
func (s *Server) Handler() http.Handler {
	// The request series of this server, plus what package events registers globally (orders,
	// consumer, outbox) and the Go runtime and process collectors of the default registry.
	metrics := promhttp.HandlerFor(prometheus.Gatherers{s.Metrics.Registry, prometheus.DefaultGatherer}, promhttp.HandlerOpts{})
	return s.instrument(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		path := r.URL.Path
		switch {
		case path == "/health" || path == "/health/live":
			setView(r, strings.ReplaceAll(strings.TrimPrefix(path, "/"), "/", "-"))
			writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
		case path == "/health/ready":
			setView(r, "health-ready")
			s.ready(w, r)
		case path == "/metrics":
			setView(r, "prometheus-django-metrics")
			metrics.ServeHTTP(w, r)
		case path == "/orders" || path == "/orders/":
			setView(r, "order-list")
			s.orderList(w, r)
		case detailPath.MatchString(path):
			setView(r, "order-detail")
			s.orderDetail(w, r, detailPath.FindStringSubmatch(path)[1])
		default:
			detail(w, http.StatusNotFound, "Not found.")
		}
	}))
}

func (s *Server) ready(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	var one int
	if err := s.Pool.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil || one != 1 {
		s.Log.WarnContext(ctx, "readiness: database check failed", "error", errText(err))
		writeJSON(w, http.StatusServiceUnavailable, map[string]any{"status": "unavailable", "checks": map[string]string{"database": "failing"}})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"status": "ok", "checks": map[string]string{"database": "ok"}})
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// notAllowed is DRF's 405 for a method the view lacks (orders are never changed or deleted).
func notAllowed(w http.ResponseWriter, r *http.Request, allow string) {
	w.Header().Set("Allow", allow)
	detail(w, http.StatusMethodNotAllowed, `Method "`+r.Method+`" not allowed.`)
}

func (s *Server) orderList(w http.ResponseWriter, r *http.Request) {
	user, ok := s.authenticated(w, r)
	if !ok {
		return
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		s.list(w, r, user)
	case http.MethodPost:
		s.create(w, r)
	case http.MethodOptions:
		w.Header().Set("Allow", "GET, POST, HEAD, OPTIONS")
		writeJSON(w, http.StatusOK, map[string]string{"name": "Order List"})
	default:
		notAllowed(w, r, "GET, POST, HEAD, OPTIONS")
	}
}

func (s *Server) orderDetail(w http.ResponseWriter, r *http.Request, id string) {
	if _, ok := s.authenticated(w, r); !ok {
		return
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		s.retrieve(w, r, id)
	case http.MethodOptions:
		w.Header().Set("Allow", "GET, HEAD, OPTIONS")
		writeJSON(w, http.StatusOK, map[string]string{"name": "Order Instance"})
	default:
		notAllowed(w, r, "GET, HEAD, OPTIONS")
	}
}

// authenticated runs authentication first, as DRF does for every request of a view: bad
// credentials are refused even where none are needed.
func (s *Server) authenticated(w http.ResponseWriter, r *http.Request) (*principal, bool) {
	user, err := s.authenticate(r)
	if err != nil {
		if authErr, ok := err.(*authError); ok {
			detail(w, http.StatusForbidden, authErr.message)
		} else {
			failure(w, r, s.Log, err)
		}
		return nil, false
	}
	return user, true
}
