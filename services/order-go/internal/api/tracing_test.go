package api

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"musiccorp/order-go/internal/events"
	"musiccorp/order-go/internal/peers"
)

// With a tracer provider (tracing.Setup with OTEL_TRACES_EXPORTER=otlp), a request is a server
// span in the caller's trace and each call to a peer a client span below it whose context the
// peer receives as traceparent: one order, one trace across services, as with the Django service.
func TestARequestIsAServerSpanAndItsPeerCallsClientSpansOfTheCallersTrace(t *testing.T) {
	recorder := tracetest.NewSpanRecorder()
	provider := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(recorder))
	previous, previousPropagator := otel.GetTracerProvider(), otel.GetTextMapPropagator()
	otel.SetTracerProvider(provider)
	otel.SetTextMapPropagator(events.Propagator)
	t.Cleanup(func() { otel.SetTracerProvider(previous); otel.SetTextMapPropagator(previousPropagator) })

	var received string
	peer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		received = r.Header.Get("traceparent")
		_, _ = w.Write([]byte(`{"results": [{"sku": "CD001", "title": "x", "price": "1.00", "currency": "EUR"}]}`))
	}))
	t.Cleanup(peer.Close)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	catalog := &peers.Client{Service: "catalog", BaseURL: peer.URL, HTTP: peers.NewHTTPClient(), Log: log}
	server := &Server{Metrics: NewMetrics(), Log: log}
	handler := server.instrument(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		setView(r, "order-list")
		if _, err := catalog.AlbumsBySKU(r.Context(), []string{"CD001"}); err != nil {
			t.Error(err)
		}
		w.WriteHeader(http.StatusCreated)
	}))

	const callerTrace = "4bf92f3577b34da6a3ce929d0e0e4736"
	request := httptest.NewRequest(http.MethodPost, "/orders", nil)
	request.Header.Set("traceparent", "00-"+callerTrace+"-00f067aa0ba902b7-01")
	handler.ServeHTTP(httptest.NewRecorder(), request)

	spans := map[trace.SpanKind]sdktrace.ReadOnlySpan{}
	for _, span := range recorder.Ended() {
		spans[span.SpanKind()] = span
	}
	serverSpan, clientSpan := spans[trace.SpanKindServer], spans[trace.SpanKindClient]
	if serverSpan == nil || clientSpan == nil {
		t.Fatalf("spans: %v", recorder.Ended())
	}
	if serverSpan.Name() != "POST order-list" || serverSpan.SpanContext().TraceID().String() != callerTrace ||
		serverSpan.Parent().SpanID().String() != "00f067aa0ba902b7" {
		t.Errorf("server span %q in trace %s, parent %s", serverSpan.Name(), serverSpan.SpanContext().TraceID(), serverSpan.Parent().SpanID())
	}
	if clientSpan.Parent().SpanID() != serverSpan.SpanContext().SpanID() {
		t.Errorf("client span's parent %s, not the server span %s", clientSpan.Parent().SpanID(), serverSpan.SpanContext().SpanID())
	}
	want := "00-" + callerTrace + "-" + clientSpan.SpanContext().SpanID().String() + "-01"
	if received != want {
		t.Errorf("catalog received traceparent %q, want %q", received, want)
	}
}
