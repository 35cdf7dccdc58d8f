package api

import (
	"context"
	"log/slog"
	"net/http"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"musiccorp/order-go/internal/events"
)

// CorrelationHeader is echoed on every response (musiccorp_common.correlation).
const CorrelationHeader = "X-Correlation-ID"

// What clients commonly send, and nothing that could forge log lines or headers.
var validCorrelationID = regexp.MustCompile(`^[A-Za-z0-9._:\-]{1,128}$`)

var tracer = otel.Tracer("musiccorp.order-go.http")

// noopSpan stands in for probes and scrapes, which get no span (as the Django services exclude them).
var noopSpan trace.Span = trace.SpanFromContext(context.Background())

type ctxKey int

const (
	correlationKey ctxKey = iota
	viewKey
)

// CorrelationID of the request being served ("" outside one).
func CorrelationID(ctx context.Context) string {
	id, _ := ctx.Value(correlationKey).(string)
	return id
}

// LogHandler adds the request's correlation id to every record logged with its context.
type LogHandler struct{ slog.Handler }

// Handle adds correlation_id, as musiccorp_common.logging's JsonFormatter does.
func (h LogHandler) Handle(ctx context.Context, record slog.Record) error {
	if id := CorrelationID(ctx); id != "" {
		record.AddAttrs(slog.String("correlation_id", id))
	}
	return h.Handler.Handle(ctx, record)
}

// WithAttrs keeps the wrapper around derived handlers.
func (h LogHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return LogHandler{h.Handler.WithAttrs(attrs)}
}

// WithGroup keeps the wrapper around derived handlers.
func (h LogHandler) WithGroup(name string) slog.Handler { return LogHandler{h.Handler.WithGroup(name)} }

type recorder struct {
	http.ResponseWriter
	status int
}

func (r *recorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
	r.ResponseWriter.WriteHeader(status)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

// view names the route for metrics, as django-prometheus labels by the URL name.
type viewName struct{ name string }

// instrument wraps every request: trusted forwarded headers, correlation id, panic recovery,
// metrics and one JSON log line (probes and scrapes are in metrics only).
func (s *Server) instrument(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		started := time.Now()
		if !s.trustedPeer(r.RemoteAddr) {
			for name := range r.Header {
				if strings.HasPrefix(name, "X-Forwarded-") || name == "Forwarded" {
					r.Header.Del(name)
				}
			}
		}
		id := r.Header.Get(CorrelationHeader)
		if !validCorrelationID.MatchString(id) {
			id = uuid.NewString()
		}
		view := &viewName{name: "<unnamed view>"}
		ctx := context.WithValue(r.Context(), correlationKey, id)
		ctx = context.WithValue(ctx, viewKey, view)
		// The caller's W3C trace context (an invalid traceparent is ignored): the events this
		// request publishes carry it, as the Django service's do.
		ctx = events.Propagator.Extract(ctx, propagation.HeaderCarrier(r.Header))
		// The server span (a no-op without tracing.Setup's provider), named after the view once
		// the route is known, as the Django instrumentation names it after the URL pattern.
		traced := !strings.HasPrefix(r.URL.Path, "/health") && !strings.HasPrefix(r.URL.Path, "/metrics")
		var span trace.Span = noopSpan
		if traced {
			ctx, span = tracer.Start(ctx, r.Method, trace.WithSpanKind(trace.SpanKindServer), trace.WithAttributes(
				attribute.String("http.request.method", r.Method),
				attribute.String("url.path", r.URL.Path),
				attribute.String("musiccorp.correlation_id", id),
			))
		}
		r = r.WithContext(ctx)
		w.Header().Set(CorrelationHeader, id)
		rec := &recorder{ResponseWriter: w}
		defer func() {
			if p := recover(); p != nil {
				s.Log.ErrorContext(ctx, "panic serving request", "panic", p)
				if rec.status == 0 {
					detail(rec, http.StatusInternalServerError, "Internal server error.")
				}
			}
			span.SetName(r.Method + " " + view.name)
			span.SetAttributes(attribute.Int("http.response.status_code", rec.status))
			if rec.status >= 500 {
				span.SetStatus(codes.Error, http.StatusText(rec.status))
			}
			span.End()
			s.observe(r, view.name, rec.status, time.Since(started))
			if !strings.HasPrefix(r.URL.Path, "/health") && !strings.HasPrefix(r.URL.Path, "/metrics") {
				s.Log.InfoContext(ctx, r.Method+" "+r.URL.Path+" "+strconv.Itoa(rec.status), "logger", "musiccorp.request",
					"method", r.Method, "path", r.URL.Path, "status", rec.status,
					"duration_ms", float64(time.Since(started).Microseconds())/1000)
			}
		}()
		next.ServeHTTP(rec, r)
	})
}

func setView(r *http.Request, name string) {
	if view, ok := r.Context().Value(viewKey).(*viewName); ok {
		view.name = name
	}
}

func (s *Server) trustedPeer(remote string) bool {
	addrPort, err := netip.ParseAddrPort(remote)
	if err != nil {
		return false
	}
	addr := addrPort.Addr().Unmap()
	for _, prefix := range s.Config.TrustedProxies {
		if prefix.Contains(addr) {
			return true
		}
	}
	return false
}
