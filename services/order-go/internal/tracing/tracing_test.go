package tracing

import (
	"testing"

	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

func TestNoneKeepsTheNoopProviderAndAnUnknownExporterIsRefused(t *testing.T) {
	t.Setenv("OTEL_TRACES_EXPORTER", "none")
	if _, err := Setup(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, sdk := otel.GetTracerProvider().(*sdktrace.TracerProvider); sdk {
		t.Error("OTEL_TRACES_EXPORTER=none installed a tracer provider")
	}
	t.Setenv("OTEL_TRACES_EXPORTER", "zipkin")
	if _, err := Setup(t.Context()); err == nil {
		t.Error("OTEL_TRACES_EXPORTER=zipkin accepted")
	}
}

func TestOTLPInstallsTheSDKProvider(t *testing.T) {
	t.Setenv("OTEL_TRACES_EXPORTER", "otlp")
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:1")
	shutdown, err := Setup(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if _, sdk := otel.GetTracerProvider().(*sdktrace.TracerProvider); !sdk {
		t.Errorf("OTEL_TRACES_EXPORTER=otlp: provider %T", otel.GetTracerProvider())
	}
	_ = shutdown(t.Context())
}
