package events

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.opentelemetry.io/otel/trace"
)

// publishRows stores one order.cancelled per (key, n) in its own transaction, in that order.
func publishRows(t *testing.T, ctx context.Context, pool *pgxpool.Pool, pub *Publisher, keys []string, perKey int) []Envelope {
	t.Helper()
	var published []Envelope
	for n := 0; n < perKey; n++ {
		for _, key := range keys {
			err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
				env, err := pub.Publish(ctx, tx, "order.cancelled", key,
					map[string]string{"order_id": key, "reason": fmt.Sprintf("reason %d", n)}, "corr-"+key[:8])
				published = append(published, env)
				return err
			})
			if err != nil {
				t.Fatalf("publish: %v", err)
			}
		}
	}
	return published
}

func testPublisher(t *testing.T, cfg Config) *Publisher {
	t.Helper()
	schemas, err := LoadSchemas(cfg.SchemaDir)
	if err != nil {
		t.Fatal(err)
	}
	return NewPublisher(cfg, schemas)
}

func unsentRows(t *testing.T, pool *pgxpool.Pool) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(context.Background(), "SELECT count(*) FROM "+outboxTable+" WHERE sent_at IS NULL").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestRelaySendsAnOutboxRowOnceWithKeyHeadersAndPartition(t *testing.T) {
	pool, cfg := testPool(t), testConfig(t)
	const partitions = 6
	createTopics(t, cfg, partitions, "order.cancelled")
	pub := testPublisher(t, cfg)
	// The request's trace: the event's traceparent names the producer span under it.
	traceID, _ := trace.TraceIDFromHex("4bf92f3577b34da6a3ce929d0e0e4736")
	spanID, _ := trace.SpanIDFromHex("00f067aa0ba902b7")
	ctx := trace.ContextWithSpanContext(context.Background(), trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: traceID, SpanID: spanID, TraceFlags: trace.FlagsSampled, Remote: true,
	}))
	orderID := NewUUID()
	var published Envelope
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		var err error
		published, err = pub.Publish(ctx, tx, "order.cancelled", orderID,
			map[string]string{"order_id": orderID, "reason": "card_declined"}, "req-1234")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}

	relay, err := NewRelay(pool, cfg, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer relay.Close()
	if sent, err := relay.RelayBatch(ctx); err != nil || sent != 1 {
		t.Fatalf("first pass sent %d rows (%v), want 1", sent, err)
	}
	if sent, err := relay.RelayBatch(ctx); err != nil || sent != 0 {
		t.Fatalf("second pass sent %d rows (%v), want 0: a sent row is never sent again", sent, err)
	}
	var claimedBy string
	var sentAt *time.Time
	if err := pool.QueryRow(ctx, "SELECT claimed_by, sent_at FROM "+outboxTable+" WHERE event_id = $1::text::uuid",
		published.EventID).Scan(&claimedBy, &sentAt); err != nil {
		t.Fatal(err)
	}
	if claimedBy != relay.ID || sentAt == nil {
		t.Errorf("row claimed_by %q sent_at %v, want %q and a time", claimedBy, sentAt, relay.ID)
	}

	records := readTopic(t, cfg, cfg.Topic("order.cancelled"), 1, 20*time.Second)
	if len(records) != 1 {
		t.Fatalf("%d messages on the topic, want exactly 1", len(records))
	}
	rec := records[0]
	if string(rec.Key) != orderID {
		t.Errorf("key %q, want the order id %q", rec.Key, orderID)
	}
	if want := LibrdkafkaPartition([]byte(orderID), partitions); int(rec.Partition) != want {
		t.Errorf("partition %d, want %d (librdkafka's CRC-32 of the key)", rec.Partition, want)
	}
	headers := headerMap(rec)
	if headers["x-correlation-id"] != "req-1234" {
		t.Errorf("x-correlation-id %q, want req-1234", headers["x-correlation-id"])
	}
	if want := "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"; headers["traceparent"] != want {
		t.Errorf("traceparent %q, want %q", headers["traceparent"], want)
	}
	got := decodeEnvelope(t, rec.Value)
	if got.EventID != published.EventID || got.EventType != "order.cancelled" || got.Producer != "order" ||
		got.CorrelationID != "req-1234" || got.EventVersion != 1 {
		t.Errorf("envelope %+v, want the published %+v", got, published)
	}
	// The data as the Python relay sends it too: the dict read back from jsonb (keys in jsonb's
	// order, shorter first), compact.
	if string(got.Data) != `{"reason":"card_declined","order_id":"`+orderID+`"}` {
		t.Errorf("data %s", got.Data)
	}
	schemas, _ := LoadSchemas(cfg.SchemaDir)
	if _, err := schemas.Parse(rec.Value); err != nil {
		t.Errorf("the relayed message is not a valid envelope: %v", err)
	}
}

// Two relays on one outbox (as the Python and the Go relay share it): every row is published
// exactly once, and each order's events stay in order on its partition.
func TestTwoRelaysOnOneOutboxPublishEachRowOnce(t *testing.T) {
	pool, cfg := testPool(t), testConfig(t)
	const partitions = 3
	createTopics(t, cfg, partitions, "order.cancelled")
	cfg.RelayBatchSize = 3 // many small claims, so the relays interleave
	ctx := context.Background()
	var keys []string
	for range 8 {
		keys = append(keys, NewUUID())
	}
	published := publishRows(t, ctx, pool, testPublisher(t, cfg), keys, 5)

	var relays []*Relay
	for range 2 {
		relay, err := NewRelay(pool, cfg, testLogger(t))
		if err != nil {
			t.Fatal(err)
		}
		defer relay.Close()
		relays = append(relays, relay)
	}
	// Rounds in which both relays claim, produce and settle at the same time (Run would let
	// whichever relay starts first take every row before the other's first claim).
	for round := 0; unsentRows(t, pool) > 0; round++ {
		if round > 40 {
			t.Fatalf("%d rows still unsent after %d rounds", unsentRows(t, pool), round)
		}
		var wg sync.WaitGroup
		for _, relay := range relays {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := relay.RelayBatch(ctx); err != nil {
					t.Errorf("relay %s: %v", relay.ID, err)
				}
			}()
		}
		wg.Wait()
	}

	records := readTopic(t, cfg, cfg.Topic("order.cancelled"), len(published), 30*time.Second)
	if len(records) != len(published) {
		t.Fatalf("%d messages for %d outbox rows", len(records), len(published))
	}
	seen := map[string]bool{}
	perKey := map[string][]string{}
	for _, rec := range records {
		env := decodeEnvelope(t, rec.Value)
		if seen[env.EventID] {
			t.Errorf("event %s published twice", env.EventID)
		}
		seen[env.EventID] = true
		perKey[string(rec.Key)] = append(perKey[string(rec.Key)], env.EventID)
		if want := LibrdkafkaPartition(rec.Key, partitions); int(rec.Partition) != want {
			t.Errorf("key %s on partition %d, want %d", rec.Key, rec.Partition, want)
		}
	}
	wantPerKey := map[string][]string{}
	for _, env := range published {
		key := decodeData(t, env)["order_id"]
		wantPerKey[key] = append(wantPerKey[key], env.EventID)
	}
	for key, want := range wantPerKey {
		if fmt.Sprint(perKey[key]) != fmt.Sprint(want) {
			t.Errorf("order %s: events in partition order %v, want publish order %v", key, perKey[key], want)
		}
	}
	// Both relays took part (each claimed batches of 3 of the 40 rows).
	for _, relay := range relays {
		var n int
		if err := pool.QueryRow(ctx, "SELECT count(*) FROM "+outboxTable+" WHERE claimed_by = $1", relay.ID).Scan(&n); err != nil {
			t.Fatal(err)
		}
		t.Logf("relay %s sent %d rows", relay.ID, n)
		if n == 0 {
			t.Errorf("relay %s sent nothing: the test did not exercise two relays", relay.ID)
		}
	}
}

// A relay that dies after its claim strands nothing: when its lease runs out another relay
// sends the row, and not before.
func TestExpiredLeaseIsSentByAnotherRelay(t *testing.T) {
	pool, cfg := testPool(t), testConfig(t)
	createTopics(t, cfg, 1, "order.cancelled")
	cfg.PublishTimeout = time.Second
	cfg.RelayLease = 3500 * time.Millisecond
	ctx := context.Background()
	published := publishRows(t, ctx, pool, testPublisher(t, cfg), []string{NewUUID()}, 1)

	dead, err := NewRelay(pool, cfg, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer dead.Close()
	if rows, err := dead.Claim(ctx); err != nil || len(rows) != 1 {
		t.Fatalf("claim: %d rows, %v", len(rows), err)
	}
	claimedAt := time.Now()
	alive, err := NewRelay(pool, cfg, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer alive.Close()
	if sent, err := alive.RelayBatch(ctx); err != nil || sent != 0 {
		t.Fatalf("sent %d rows (%v) while another relay's lease holds them", sent, err)
	}
	time.Sleep(time.Until(claimedAt.Add(cfg.RelayLease + 500*time.Millisecond)))
	if sent, err := alive.RelayBatch(ctx); err != nil || sent != 1 {
		t.Fatalf("sent %d rows (%v) after the lease ran out, want 1", sent, err)
	}
	records := readTopic(t, cfg, cfg.Topic("order.cancelled"), 1, 20*time.Second)
	if len(records) != 1 || decodeEnvelope(t, records[0].Value).EventID != published[0].EventID {
		t.Fatalf("%d messages on the topic, want the one row once", len(records))
	}
}

// A row Kafka refuses (its topic does not exist) is backed off, not lost, and parked after
// EVENTS_RELAY_MAX_ATTEMPTS failures; the gauges show it.
func TestUndeliverableRowIsBackedOffThenParked(t *testing.T) {
	pool, cfg := testPool(t), testConfig(t)
	cfg.PublishTimeout = time.Second
	cfg.RelayLease = 4 * time.Second
	cfg.RelayMaxAttempts = 2
	cfg.RelayBackoff = 10 * time.Millisecond
	ctx := context.Background()
	// No topics created: the produce fails (unknown topic) within the delivery timeout.
	publishRows(t, ctx, pool, testPublisher(t, cfg), []string{NewUUID()}, 1)
	relay, err := NewRelay(pool, cfg, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer relay.Close()
	for attempt := 1; attempt <= 2; attempt++ {
		time.Sleep(50 * time.Millisecond) // past the backoff
		if sent, err := relay.RelayBatch(ctx); err != nil || sent != 0 {
			t.Fatalf("attempt %d: sent %d (%v), want 0", attempt, sent, err)
		}
	}
	var attempts int
	var lastError string
	var parked *time.Time
	if err := pool.QueryRow(ctx, "SELECT attempts, last_error, parked_at FROM "+outboxTable).Scan(&attempts, &lastError, &parked); err != nil {
		t.Fatal(err)
	}
	if attempts != 2 || parked == nil || lastError == "" {
		t.Fatalf("attempts %d parked_at %v last_error %q, want 2, a time and the error", attempts, parked, lastError)
	}
	if err := RefreshOutboxMetrics(ctx, pool); err != nil {
		t.Fatal(err)
	}
	if got := gaugeValue(t, outboxParked); got != 1 {
		t.Errorf("musiccorp_outbox_parked %v, want 1", got)
	}
}
