// Package tracing installs OpenTelemetry's SDK as the Django services' musiccorp_common.tracing
// does, from the same standard variables: with OTEL_TRACES_EXPORTER=otlp spans are batched and
// exported over OTLP/HTTP (protobuf) to OTEL_EXPORTER_OTLP_ENDPOINT (+ /v1/traces; the exporter
// reads every OTEL_EXPORTER_OTLP_* variable itself), the resource's service.name is
// OTEL_SERVICE_NAME (the local stack and the chart give order-go "order": one service, two
// implementations) and the sampler is the SDK's default, parent-based always-on (OTEL_TRACES_SAMPLER
// changes it). Any other value (none, unset) keeps the API's no-op provider: no span is
// recorded or exported, and the caller's traceparent still travels on with the events.
//
// Spans: the server span of each request (internal/api), the client span of each call to
// catalog and inventory (internal/peers), and the Kafka producer and consumer spans
// (internal/events) -- the spans the Python services' instrumentations make.
package tracing

import (
	"context"
	"fmt"
	"os"
	"strings"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"musiccorp/order-go/internal/events"
)

// Setup installs the global propagator (events.Propagator, the Python side's) and, when OTEL_TRACES_EXPORTER is otlp, the tracer
// provider; the returned function flushes and stops it (a no-op without one).
func Setup(ctx context.Context) (func(context.Context) error, error) {
	otel.SetTextMapPropagator(events.Propagator)
	noop := func(context.Context) error { return nil }
	exporter := strings.TrimSpace(strings.ToLower(os.Getenv("OTEL_TRACES_EXPORTER")))
	switch exporter {
	case "", "none":
		return noop, nil
	case "otlp":
	default:
		return noop, fmt.Errorf("OTEL_TRACES_EXPORTER=%q: order-go exports otlp or none", exporter)
	}
	exp, err := otlptracehttp.New(ctx)
	if err != nil {
		return noop, fmt.Errorf("OTLP/HTTP trace exporter: %w", err)
	}
	name := os.Getenv("OTEL_SERVICE_NAME")
	if name == "" {
		name = "order"
	}
	res, err := resource.Merge(resource.Default(), resource.NewSchemaless(
		attribute.String("service.name", name),
		attribute.String("service.implementation", "order-go"),
	))
	if err != nil {
		return noop, err
	}
	provider := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
	otel.SetTracerProvider(provider)
	return provider.Shutdown, nil
}
