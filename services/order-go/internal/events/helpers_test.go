package events

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// The tests run on a real PostgreSQL and Kafka, as the Python suites do: ci/test-order-go
// prepares a database with the Django order migrations applied (ORDER_GO_TEST_DATABASE_URL)
// and passes the broker's address and admin credentials in the KAFKA_* variables. Each test
// makes its own topics under a unique prefix. In CI a missing service fails the test.

// requireEnv returns the variable's value; without it the test fails under CI=true and is
// skipped elsewhere (a developer without the stack can still run the unit tests).
func requireEnv(t *testing.T, name string) string {
	t.Helper()
	value := os.Getenv(name)
	if value != "" {
		return value
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is not set (ci/test-order-go sets it); CI must not skip these tests", name)
	}
	t.Skipf("%s is not set: run ci/test-order-go", name)
	return ""
}

// testPool connects to the test database and empties the outbox: a relay claims every
// unsent row of the table, so rows of an earlier test must not be in the way.
func testPool(t *testing.T) *pgxpool.Pool {
	t.Helper()
	url := requireEnv(t, "ORDER_GO_TEST_DATABASE_URL")
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		t.Fatalf("database: %v", err)
	}
	t.Cleanup(pool.Close)
	if _, err := pool.Exec(ctx, "DELETE FROM "+outboxTable); err != nil {
		t.Fatalf("the test database has no outbox table (Django migrations applied?): %v", err)
	}
	return pool
}

// testConfig: the environment's Kafka settings, a unique topic prefix and consumer group,
// short timeouts and backoffs so a failing test ends quickly.
func testConfig(t *testing.T) Config {
	t.Helper()
	requireEnv(t, "KAFKA_BOOTSTRAP_SERVERS")
	cfg, err := ConfigFromEnv()
	if err != nil {
		t.Fatal(err)
	}
	unique := strings.ToLower(NewUUID()[:8])
	cfg.TopicPrefix = "ordergo-test-" + unique + "."
	cfg.GroupID = "ordergo-test-" + unique
	cfg.SchemaDir = "../../" + DefaultSchemaDir
	cfg.MaxAttempts = 2
	cfg.RetryBackoff = 20 * time.Millisecond
	cfg.TransientBackoffMax = 200 * time.Millisecond
	cfg.PublishTimeout = 5 * time.Second
	cfg.RelayLease = 8 * time.Second
	cfg.RelayBackoff = 50 * time.Millisecond
	cfg.RelayMaxBackoff = 500 * time.Millisecond
	cfg.RelayIdle = 200 * time.Millisecond
	cfg.ConsumerCommitInterval = 200 * time.Millisecond
	return cfg
}

func testLogger(t *testing.T) *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewJSONHandler(io.Discard, nil))
}

// createTopics creates cfg's topics of these event types (and their DLQs), deleted after the test.
func createTopics(t *testing.T, cfg Config, partitions int32, eventTypes ...string) {
	t.Helper()
	client, err := kgo.NewClient(cfg.AdminOpts()...)
	if err != nil {
		t.Fatal(err)
	}
	admin := kadm.NewClient(client)
	var topics []string
	for _, eventType := range eventTypes {
		topics = append(topics, cfg.Topic(eventType), DLQTopic(cfg.Topic(eventType)))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	resp, err := admin.CreateTopics(ctx, partitions, 1, nil, topics...)
	if err == nil {
		err = resp.Error()
	}
	if err != nil {
		client.Close()
		t.Fatalf("create topics %v: %v", topics, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_, _ = admin.DeleteTopics(ctx, topics...)
		client.Close()
	})
}

// readTopic reads a topic from its start until want records came or the wait is over
// (then a little longer, so a duplicate would be seen too).
func readTopic(t *testing.T, cfg Config, topic string, want int, wait time.Duration) []*kgo.Record {
	t.Helper()
	client, err := kgo.NewClient(append(cfg.AdminOpts(),
		kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))...)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	var got []*kgo.Record
	deadline := time.Now().Add(wait)
	extra := time.Time{}
	for time.Now().Before(deadline) {
		if len(got) >= want && extra.IsZero() {
			extra = time.Now().Add(time.Second)
		}
		if !extra.IsZero() && time.Now().After(extra) {
			break
		}
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		fetches := client.PollFetches(ctx)
		cancel()
		got = append(got, fetches.Records()...)
	}
	return got
}

// produceEvent sends an event as its owner would (payment, shipping), keyed by the order id.
func produceEvent(t *testing.T, cfg Config, eventType, producer, key string, data any, headers map[string]string) Envelope {
	t.Helper()
	env, err := NewEnvelope(eventType, data, NewUUID())
	if err != nil {
		t.Fatal(err)
	}
	env.Producer = producer
	value, err := env.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	produceRaw(t, cfg, cfg.Topic(eventType), key, value, headers)
	return env
}

func produceRaw(t *testing.T, cfg Config, topic, key string, value []byte, headers map[string]string) {
	t.Helper()
	client, err := kgo.NewClient(cfg.ProducerOpts()...)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	rec := &kgo.Record{Topic: topic, Key: []byte(key), Value: value}
	for k, v := range headers {
		rec.Headers = append(rec.Headers, kgo.RecordHeader{Key: k, Value: []byte(v)})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := client.ProduceSync(ctx, rec).FirstErr(); err != nil {
		t.Fatalf("produce to %s: %v", topic, err)
	}
}

// insertOrder inserts an order as the HTTP side (or Django) does, in the given status.
func insertOrder(t *testing.T, pool *pgxpool.Pool, status string, age time.Duration) string {
	t.Helper()
	id := NewUUID()
	_, err := pool.Exec(context.Background(), `INSERT INTO `+orderTable+`
		(id, status, customer_email, total, currency, payment_id, shipment_id, tracking_number, cancel_reason,
		 created_at, updated_at, idempotency_key, request_fingerprint)
		VALUES ($1::text::uuid, $2, 'fan@example.com', 25.98, 'EUR', '', '', '', '',
		        now() - make_interval(secs => $3), now() - make_interval(secs => $3), NULL, '')`,
		id, status, age.Seconds())
	if err != nil {
		t.Fatalf("insert order: %v", err)
	}
	return id
}

type orderRow struct {
	Status, PaymentID, ShipmentID, TrackingNumber, CancelReason string
}

func readOrder(t *testing.T, pool *pgxpool.Pool, id string) orderRow {
	t.Helper()
	var o orderRow
	err := pool.QueryRow(context.Background(), `SELECT status, payment_id, shipment_id, tracking_number, cancel_reason
		FROM `+orderTable+` WHERE id = $1::text::uuid`, id).Scan(&o.Status, &o.PaymentID, &o.ShipmentID, &o.TrackingNumber, &o.CancelReason)
	if err != nil {
		t.Fatalf("read order %s: %v", id, err)
	}
	return o
}

// eventually polls cond until it is true or the wait is over.
func eventually(t *testing.T, wait time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %s: %s", wait, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func headerMap(rec *kgo.Record) map[string]string { return recordHeaders(rec) }

func decodeEnvelope(t *testing.T, raw []byte) Envelope {
	t.Helper()
	var env Envelope
	if err := json.Unmarshal(raw, &env); err != nil {
		t.Fatalf("not an envelope: %v: %s", err, raw)
	}
	return env
}

func decodeData(t *testing.T, env Envelope) map[string]string {
	t.Helper()
	var data map[string]string
	if err := json.Unmarshal(env.Data, &data); err != nil {
		t.Fatalf("data %s: %v", env.Data, err)
	}
	return data
}

func gaugeValue(t *testing.T, c prometheus.Collector) float64 {
	t.Helper()
	return testutil.ToFloat64(c)
}
