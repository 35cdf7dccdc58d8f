package api

import (
	"context"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"musiccorp/order-go/internal/store"
	"musiccorp/order-go/internal/testdb"
)

// What every MusicCorp service shares (musiccorp_common.testing.shared_behaviour).

func TestTheCorrelationIDIsEchoedOrGenerated(t *testing.T) {
	f := newFixture(t)
	if got := f.do(t, "GET", "/health", nil, "X-Correlation-ID", "abc-123").Header().Get(CorrelationHeader); got != "abc-123" {
		t.Errorf("echoed %q", got)
	}
	uuidLike := regexp.MustCompile(`^[0-9a-f-]{36}$`)
	for _, sent := range []string{"", "bad id\r\nx", strings.Repeat("a", 129)} {
		if got := f.do(t, "GET", "/orders/x", nil, "X-Correlation-ID", sent).Header().Get(CorrelationHeader); !uuidLike.MatchString(got) {
			t.Errorf("sent %q, got %q", sent, got)
		}
	}
}

func TestHealthAndReadiness(t *testing.T) {
	f := newFixture(t)
	for _, path := range []string{"/health", "/health/live", "/health/ready"} {
		if response := f.do(t, "GET", path, nil); response.Code != 200 || decode(t, response)["status"] != "ok" {
			t.Errorf("%s: %d %s", path, response.Code, response.Body)
		}
	}
}

func TestUnknownPathsAre404JSON(t *testing.T) {
	f := newFixture(t)
	for _, path := range []string{"/", "/nope", "/orders/a/b", "/admin/"} {
		response := f.do(t, "GET", path, nil)
		if response.Code != 404 || decode(t, response)["detail"] != "Not found." {
			t.Errorf("%s: %d %s", path, response.Code, response.Body)
		}
	}
}

func TestMetricsHaveTheDjangoServicesNames(t *testing.T) {
	f := newFixture(t)
	f.do(t, "POST", "/orders", good())
	f.do(t, "GET", "/orders/not-an-id", nil)
	response := f.do(t, "GET", "/metrics", nil)
	text, _ := io.ReadAll(response.Body)
	for _, series := range []string{
		`musiccorp_orders_total{status="PENDING"} 1`,
		`django_http_responses_total_by_status_view_method_total{method="POST",status="201",view="order-list"} 1`,
		`django_http_responses_total_by_status_view_method_total{method="GET",status="404",view="order-detail"} 1`,
		`django_http_requests_total_by_view_transport_method_total{method="POST",transport="http",view="order-list"} 1`,
		`django_http_requests_latency_seconds_by_view_method_bucket{method="POST",view="order-list",le="75"} 1`,
	} {
		if !strings.Contains(string(text), series) {
			t.Errorf("/metrics lacks %s", series)
		}
	}
}

func TestAnUnreachableDatabaseIs503WithRetryAfter(t *testing.T) {
	f := newFixture(t)
	config, err := pgxpool.ParseConfig("postgres://nobody:x@127.0.0.1:1/none?connect_timeout=1")
	if err != nil {
		t.Fatal(err)
	}
	down, err := pgxpool.NewWithConfig(context.Background(), config)
	if err != nil {
		t.Fatal(err)
	}
	defer down.Close()
	f.server.Pool = down
	for _, request := range [][2]string{{"GET", "/orders/" + "5b7e2a1c-1f0e-4d3c-8b7a-6f5e4d3c2b1a"}, {"GET", "/health/ready"}} {
		response := f.do(t, request[0], request[1], nil)
		if response.Code != http.StatusServiceUnavailable {
			t.Errorf("%s: %d %s", request[1], response.Code, response.Body)
		}
	}
	response := f.do(t, "GET", "/orders/5b7e2a1c-1f0e-4d3c-8b7a-6f5e4d3c2b1a", nil)
	if response.Header().Get("Retry-After") != "5" || !strings.Contains(decode(t, response)["detail"].(string), "database") {
		t.Errorf("%v %s", response.Header(), response.Body)
	}
	if f.do(t, "GET", "/health", nil).Code != 200 {
		t.Error("liveness must not depend on the database")
	}
}

func TestTheSchemaCheckKnowsTheMigratedDatabaseAndRefusesOthers(t *testing.T) {
	pool := testdb.Pool(t)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := store.CheckSchema(ctx, pool); err != nil {
		t.Fatalf("the Django-migrated test database is refused: %v", err)
	}
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(context.Background())
	if _, err := tx.Exec(ctx, "INSERT INTO django_migrations (app, name, applied) VALUES ('orders', '0002_from_the_future', now())"); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "DELETE FROM django_migrations WHERE app = 'musiccorp_common' AND name = '0002_outbox_lease_backoff_park'"); err != nil {
		t.Fatal(err)
	}
	// Inside the transaction, which is rolled back: the database stays as migrated.
	err = store.CheckSchema(ctx, tx)
	message := ""
	if err != nil {
		message = err.Error()
	}
	for _, want := range []string{"orders: unknown migration 0002_from_the_future", "musiccorp_common: migration 0002_outbox_lease_backoff_park is not applied"} {
		if !strings.Contains(message, want) {
			t.Errorf("%q lacks %q", message, want)
		}
	}
}
