package events

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

const wait = 30 * time.Second

// One consumer, as `order-go` runs it, handles every case below in turn; the last subtest
// stops it and checks what it committed.
func TestOrderConsumer(t *testing.T) {
	pool, cfg := testPool(t), testConfig(t)
	cfg.HandlerLockTimeout = 100 * time.Millisecond
	createTopics(t, cfg, 3, "payment.received", "payment.failed", "shipment.dispatched", "order.cancelled")
	consumer, err := NewOrderConsumer(pool, cfg, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- consumer.Run(ctx) }()
	t.Cleanup(func() { stop(); <-done })

	t.Run("payment.received marks a PENDING order PAID and records the event in the inbox", func(t *testing.T) {
		order := insertOrder(t, pool, StatusPending, 0)
		paidBefore := testutil.ToFloat64(ordersByStatus.WithLabelValues(StatusPaid))
		env := produceEvent(t, cfg, "payment.received", "payment", order,
			map[string]string{"order_id": order, "payment_id": "pay-1", "amount": "25.98", "currency": "EUR"}, nil)
		eventually(t, wait, "order PAID", func() bool { return readOrder(t, pool, order).Status == StatusPaid })
		if got := readOrder(t, pool, order).PaymentID; got != "pay-1" {
			t.Errorf("payment_id %q, want pay-1", got)
		}
		var topic, key, correlationID string
		if err := pool.QueryRow(ctx, "SELECT topic, key, correlation_id FROM "+processedTable+" WHERE event_id = $1::text::uuid",
			env.EventID).Scan(&topic, &key, &correlationID); err != nil {
			t.Fatalf("no inbox row for %s: %v", env.EventID, err)
		}
		if topic != cfg.Topic("payment.received") || key != order || correlationID != env.CorrelationID {
			t.Errorf("inbox row %s %s %s", topic, key, correlationID)
		}
		if got := testutil.ToFloat64(ordersByStatus.WithLabelValues(StatusPaid)) - paidBefore; got != 1 {
			t.Errorf("musiccorp_orders_total{status=PAID} grew by %v, want 1", got)
		}

		// The same event delivered again (a redelivery after a lost commit) changes nothing:
		// the inbox drops it, so even a payment_id changed since stays as it is.
		if _, err := pool.Exec(ctx, "UPDATE "+orderTable+" SET payment_id = 'changed-since' WHERE id = $1::text::uuid", order); err != nil {
			t.Fatal(err)
		}
		duplicates := testutil.ToFloat64(eventsConsumed.WithLabelValues(cfg.Topic("payment.received"), "payment.received", "duplicate"))
		value, _ := env.Bytes()
		produceRaw(t, cfg, cfg.Topic("payment.received"), order, value, nil)
		eventually(t, wait, "the duplicate counted", func() bool {
			return testutil.ToFloat64(eventsConsumed.WithLabelValues(cfg.Topic("payment.received"), "payment.received", "duplicate")) == duplicates+1
		})
		if got := readOrder(t, pool, order); got.PaymentID != "changed-since" || got.Status != StatusPaid {
			t.Errorf("the duplicate changed the order: %+v", got)
		}
	})

	t.Run("shipment.dispatched completes a PAID order", func(t *testing.T) {
		order := insertOrder(t, pool, StatusPaid, 0)
		sagasBefore := sagaCount(t, StatusCompleted)
		produceEvent(t, cfg, "shipment.dispatched", "shipping", order, map[string]string{
			"order_id": order, "shipment_id": "ship-7", "carrier": "DHL", "tracking_number": "TRACK-7",
			"dispatched_at": "2026-12-07T10:00:00+00:00",
		}, nil)
		eventually(t, wait, "order COMPLETED", func() bool { return readOrder(t, pool, order).Status == StatusCompleted })
		if got := readOrder(t, pool, order); got.ShipmentID != "ship-7" || got.TrackingNumber != "TRACK-7" {
			t.Errorf("shipment references not recorded: %+v", got)
		}
		// The saga's end observed once (the transition commits before the metric is observed).
		eventually(t, wait, "musiccorp_order_saga_seconds{status=COMPLETED} observed", func() bool {
			return sagaCount(t, StatusCompleted) == sagasBefore+1
		})
	})

	t.Run("payment.failed cancels a PENDING order and publishes order.cancelled in the same transaction", func(t *testing.T) {
		order := insertOrder(t, pool, StatusPending, 0)
		traceparent := "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
		env := produceEvent(t, cfg, "payment.failed", "payment", order,
			map[string]string{"order_id": order, "payment_id": "pay-9", "reason": "card_declined"},
			map[string]string{"traceparent": traceparent})
		eventually(t, wait, "order CANCELLED", func() bool { return readOrder(t, pool, order).Status == StatusCancelled })
		if got := readOrder(t, pool, order); got.CancelReason != "card_declined" || got.PaymentID != "pay-9" {
			t.Errorf("cancelled order %+v", got)
		}
		rows := outboxRowsOf(t, pool, order)
		if len(rows) != 1 {
			t.Fatalf("%d outbox rows for the order, want one order.cancelled", len(rows))
		}
		row := rows[0]
		var cancelled Envelope
		if err := json.Unmarshal(row.Envelope, &cancelled); err != nil {
			t.Fatal(err)
		}
		if row.Topic != cfg.Topic("order.cancelled") || cancelled.EventType != "order.cancelled" || cancelled.Producer != "order" {
			t.Errorf("outbox row %s %+v", row.Topic, cancelled)
		}
		if data := decodeData(t, cancelled); data["order_id"] != order || data["reason"] != "card_declined" || len(data) != 2 {
			t.Errorf("order.cancelled data %v", data)
		}
		// The saga's correlation id and trace go on with the compensation event.
		if cancelled.CorrelationID != env.CorrelationID || row.Headers["x-correlation-id"] != env.CorrelationID {
			t.Errorf("correlation id %q / header %q, want the payment event's %q", cancelled.CorrelationID, row.Headers["x-correlation-id"], env.CorrelationID)
		}
		if !strings.HasPrefix(row.Headers["traceparent"], "00-0af7651916cd43dd8448eb211c80319c-") {
			t.Errorf("traceparent %q is not in the payment event's trace", row.Headers["traceparent"])
		}

		// Delivered again: still one order.cancelled.
		value, _ := env.Bytes()
		duplicates := testutil.ToFloat64(eventsConsumed.WithLabelValues(cfg.Topic("payment.failed"), "payment.failed", "duplicate"))
		produceRaw(t, cfg, cfg.Topic("payment.failed"), order, value, nil)
		eventually(t, wait, "the duplicate counted", func() bool {
			return testutil.ToFloat64(eventsConsumed.WithLabelValues(cfg.Topic("payment.failed"), "payment.failed", "duplicate")) == duplicates+1
		})
		if n := len(outboxRowsOf(t, pool, order)); n != 1 {
			t.Errorf("%d order.cancelled rows after the duplicate, want 1", n)
		}

		// And the relay sends it, keyed by the order.
		relay, err := NewRelay(pool, cfg, testLogger(t))
		if err != nil {
			t.Fatal(err)
		}
		defer relay.Close()
		if sent, err := relay.RelayBatch(ctx); err != nil || sent != 1 {
			t.Fatalf("relay sent %d (%v)", sent, err)
		}
		records := readTopic(t, cfg, cfg.Topic("order.cancelled"), 1, wait)
		if len(records) != 1 || string(records[0].Key) != order || decodeEnvelope(t, records[0].Value).EventID != cancelled.EventID {
			t.Fatalf("order.cancelled on Kafka: %d records", len(records))
		}
	})

	t.Run("an invalid event goes to the DLQ at once and changes nothing", func(t *testing.T) {
		order := insertOrder(t, pool, StatusPending, 0)
		// The schema requires payment_id, amount and currency.
		env, _ := NewEnvelope("payment.received", map[string]string{"order_id": order}, "bad-1")
		env.Producer = "payment"
		invalid, _ := env.Bytes()
		// Valid, but not from the topic's owner.
		forged := produceEventValue(t, "payment.received", "shipping",
			map[string]string{"order_id": order, "payment_id": "pay-x", "amount": "1.00", "currency": "EUR"})
		deadBefore := testutil.ToFloat64(eventsDeadLettered.WithLabelValues(cfg.Topic("payment.received")))
		produceRaw(t, cfg, cfg.Topic("payment.received"), order, invalid, map[string]string{"x-correlation-id": "bad-1"})
		produceRaw(t, cfg, cfg.Topic("payment.received"), order, forged, nil)
		produceRaw(t, cfg, cfg.Topic("payment.received"), order, []byte("not json"), nil)

		records := readTopic(t, cfg, DLQTopic(cfg.Topic("payment.received")), 3, wait)
		if len(records) != 3 {
			t.Fatalf("%d messages in the DLQ, want 3", len(records))
		}
		byValue := map[string]*kgo.Record{}
		for _, rec := range records {
			byValue[string(rec.Value)] = rec
		}
		for value, wantError := range map[string]string{
			string(invalid): "InvalidEvent: payment.received.v1 invalid", string(forged): "ForeignProducer: ",
			"not json": "InvalidEvent: message value is not JSON",
		} {
			rec := byValue[value]
			if rec == nil {
				t.Errorf("not in the DLQ: %s", value)
				continue
			}
			h := headerMap(rec)
			if !strings.HasPrefix(h["x-dlq-error"], wantError) || h["x-dlq-original-topic"] != cfg.Topic("payment.received") ||
				h["x-dlq-consumer-group"] != cfg.GroupID || h["x-dlq-original-offset"] == "" || string(rec.Key) != order {
				t.Errorf("DLQ message headers %v key %s, want x-dlq-error %q...", h, rec.Key, wantError)
			}
		}
		if got := headerMap(byValue[string(invalid)])["x-correlation-id"]; got != "bad-1" {
			t.Errorf("the original headers are not kept: x-correlation-id %q", got)
		}
		if got := testutil.ToFloat64(eventsDeadLettered.WithLabelValues(cfg.Topic("payment.received"))) - deadBefore; got != 3 {
			t.Errorf("musiccorp_events_dead_lettered_total grew by %v, want 3", got)
		}
		if got := readOrder(t, pool, order); got.Status != StatusPending || got.PaymentID != "" {
			t.Errorf("a dead-lettered event changed the order: %+v", got)
		}
	})

	t.Run("an event for an unknown order is retried EVENTS_MAX_ATTEMPTS times, then dead-lettered", func(t *testing.T) {
		unknown := NewUUID()
		errorsBefore := testutil.ToFloat64(eventHandlerErrors.WithLabelValues(cfg.Topic("shipment.dispatched")))
		produceEvent(t, cfg, "shipment.dispatched", "shipping", unknown, map[string]string{
			"order_id": unknown, "shipment_id": "ship-0", "carrier": "DHL", "tracking_number": "T0",
			"dispatched_at": "2026-12-07T10:00:00+00:00",
		}, nil)
		records := readTopic(t, cfg, DLQTopic(cfg.Topic("shipment.dispatched")), 1, wait)
		if len(records) != 1 {
			t.Fatalf("%d messages in the DLQ, want 1", len(records))
		}
		if got := headerMap(records[0])["x-dlq-error"]; got != "OrderNotFound: no order "+unknown {
			t.Errorf("x-dlq-error %q", got)
		}
		if got := testutil.ToFloat64(eventHandlerErrors.WithLabelValues(cfg.Topic("shipment.dispatched"))) - errorsBefore; got != float64(cfg.MaxAttempts) {
			t.Errorf("%v failed attempts counted, want %d", got, cfg.MaxAttempts)
		}
	})

	t.Run("a transient failure is retried past EVENTS_MAX_ATTEMPTS, never dead-lettered, and the consumer is not ready meanwhile", func(t *testing.T) {
		order := insertOrder(t, pool, StatusPending, 0)
		// Another transaction holds the order's row: the handler's lock_timeout fires (55P03),
		// a transient failure, again and again while the lock is held.
		blocker, err := pool.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = blocker.Rollback(context.Background()) }()
		if _, err := blocker.Exec(ctx, "SELECT 1 FROM "+orderTable+" WHERE id = $1::text::uuid FOR UPDATE", order); err != nil {
			t.Fatal(err)
		}
		errorsBefore := testutil.ToFloat64(eventHandlerErrors.WithLabelValues(cfg.Topic("payment.received")))
		deadBefore := testutil.ToFloat64(eventsDeadLettered.WithLabelValues(cfg.Topic("payment.received")))
		produceEvent(t, cfg, "payment.received", "payment", order,
			map[string]string{"order_id": order, "payment_id": "pay-late", "amount": "25.98", "currency": "EUR"}, nil)
		eventually(t, wait, "more failed attempts than EVENTS_MAX_ATTEMPTS", func() bool {
			return testutil.ToFloat64(eventHandlerErrors.WithLabelValues(cfg.Topic("payment.received")))-errorsBefore > float64(cfg.MaxAttempts)
		})
		if consumer.Ready() || testutil.ToFloat64(consumerRetrying) != 1 {
			t.Errorf("ready %v, musiccorp_consumer_retrying %v while retrying a transient failure", consumer.Ready(), testutil.ToFloat64(consumerRetrying))
		}
		if err := blocker.Rollback(ctx); err != nil {
			t.Fatal(err)
		}
		eventually(t, wait, "order PAID once the lock is gone", func() bool { return readOrder(t, pool, order).Status == StatusPaid })
		eventually(t, wait, "ready again", consumer.Ready)
		if got := testutil.ToFloat64(eventsDeadLettered.WithLabelValues(cfg.Topic("payment.received"))); got != deadBefore {
			t.Errorf("a transient failure was dead-lettered")
		}
	})

	t.Run("a stop finishes, commits every handled offset and leaves the group", func(t *testing.T) {
		if !consumer.Ready() || time.Since(consumer.Heartbeat()) > 5*time.Second {
			t.Errorf("ready %v, heartbeat %s ago", consumer.Ready(), time.Since(consumer.Heartbeat()))
		}
		stop()
		select {
		case err := <-done:
			done <- err // for the cleanup
			if err != nil {
				t.Fatalf("Run returned %v after a stop, want nil", err)
			}
		case <-time.After(wait):
			t.Fatal("Run did not return after the stop")
		}
		committed, ends := groupOffsets(t, cfg, consumer.Topics())
		for tp, end := range ends {
			if committed[tp] != end {
				t.Errorf("%s: committed offset %d, end %d", tp, committed[tp], end)
			}
		}
	})
}

func TestExpirePendingOrdersCancelsOnlyOverdueOrders(t *testing.T) {
	pool, cfg := testPool(t), testConfig(t)
	ctx := context.Background()
	overdue := insertOrder(t, pool, StatusPending, 20*time.Minute)
	fresh := insertOrder(t, pool, StatusPending, time.Minute)
	paid := insertOrder(t, pool, StatusPaid, 20*time.Minute)
	expired, err := ExpirePendingOrders(ctx, pool, testPublisher(t, cfg), testLogger(t), 15*time.Minute, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if !contains(expired, overdue) || contains(expired, fresh) || contains(expired, paid) {
		t.Fatalf("expired %v: want %s, not %s nor the PAID %s", expired, overdue, fresh, paid)
	}
	if got := readOrder(t, pool, overdue); got.Status != StatusCancelled || got.CancelReason != PaymentTimeoutReason {
		t.Errorf("overdue order %+v", got)
	}
	if readOrder(t, pool, fresh).Status != StatusPending || readOrder(t, pool, paid).Status != StatusPaid {
		t.Error("an order that was not overdue was changed")
	}
	rows := outboxRowsOf(t, pool, overdue)
	if len(rows) != 1 || rows[0].Topic != cfg.Topic("order.cancelled") {
		t.Fatalf("outbox rows of the expired order: %+v", rows)
	}
}

func TestStuckOrdersCollectorCountsOverdueOrders(t *testing.T) {
	pool, cfg := testPool(t), testConfig(t)
	collector := NewStuckOrdersCollector(pool, cfg, testLogger(t))
	registry := prometheus.NewPedanticRegistry()
	registry.MustRegister(collector)
	stuck := func() map[string]float64 {
		families, err := registry.Gather()
		if err != nil {
			t.Fatal(err)
		}
		counts := map[string]float64{}
		for _, family := range families {
			for _, m := range family.GetMetric() {
				counts[m.GetLabel()[0].GetValue()] = m.GetGauge().GetValue()
			}
		}
		return counts
	}
	before := stuck()
	insertOrder(t, pool, StatusPending, cfg.PendingDeadline+time.Minute)
	insertOrder(t, pool, StatusPending, cfg.PendingDeadline-time.Minute)
	insertOrder(t, pool, StatusPaid, cfg.PaidDeadline+time.Minute)
	insertOrder(t, pool, StatusPaid, cfg.PaidDeadline-time.Minute)
	after := stuck()
	if after[StatusPending]-before[StatusPending] != 1 || after[StatusPaid]-before[StatusPaid] != 1 {
		t.Errorf("musiccorp_orders_stuck went from %v to %v, want one more of each", before, after)
	}
}

func TestIsTransient(t *testing.T) {
	if IsTransient(&OrderNotFound{"x"}) || IsTransient(&InvalidEvent{"x"}) || IsTransient(errors.New("a bug")) {
		t.Error("a permanent failure is classed transient")
	}
	pool := testPool(t)
	ctx := context.Background()
	// A lock timeout and a statement timeout, as PostgreSQL reports them.
	_, lockErr := pool.Exec(ctx, "DO $$ BEGIN RAISE EXCEPTION USING ERRCODE = 'lock_not_available'; END $$")
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "SET LOCAL statement_timeout = 1"); err != nil {
		t.Fatal(err)
	}
	_, cancelErr := tx.Exec(ctx, "SELECT pg_sleep(1)")
	_ = tx.Rollback(ctx)
	_, syntaxErr := pool.Exec(ctx, "SELEC 1")
	if !IsTransient(lockErr) || !IsTransient(cancelErr) {
		t.Errorf("lock_not_available (%v) or query_canceled (%v) not transient", lockErr, cancelErr)
	}
	if IsTransient(syntaxErr) {
		t.Errorf("a syntax error (%v) is classed transient", syntaxErr)
	}
	if errorName(&OrderNotFound{"x"}) != "OrderNotFound" {
		t.Error(errorName(&OrderNotFound{"x"}))
	}
}

func contains(list []string, s string) bool {
	for _, item := range list {
		if item == s {
			return true
		}
	}
	return false
}

func outboxRowsOf(t *testing.T, pool *pgxpool.Pool, key string) []OutboxRow {
	t.Helper()
	rows, err := pool.Query(context.Background(), "SELECT event_id::text, topic, envelope, headers FROM "+outboxTable+" WHERE key = $1 ORDER BY created_at", key)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []OutboxRow
	for rows.Next() {
		var o OutboxRow
		var headers []byte
		if err := rows.Scan(&o.EventID, &o.Topic, &o.Envelope, &headers); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(headers, &o.Headers); err != nil {
			t.Fatal(err)
		}
		out = append(out, o)
	}
	return out
}

func produceEventValue(t *testing.T, eventType, producer string, data any) []byte {
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
	return value
}

// groupOffsets: the group's committed offset and the end offset of every partition of topics.
func groupOffsets(t *testing.T, cfg Config, topics []string) (map[string]int64, map[string]int64) {
	t.Helper()
	client, err := kgo.NewClient(cfg.AdminOpts()...)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	admin := kadm.NewClient(client)
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	fetched, err := admin.FetchOffsets(ctx, cfg.GroupID)
	if err != nil {
		t.Fatal(err)
	}
	ends, err := admin.ListEndOffsets(ctx, topics...)
	if err != nil {
		t.Fatal(err)
	}
	committed, end := map[string]int64{}, map[string]int64{}
	ends.Each(func(o kadm.ListedOffset) {
		key := o.Topic + "/" + string(rune('0'+o.Partition))
		end[key] = o.Offset
		if c, ok := fetched.Lookup(o.Topic, o.Partition); ok {
			committed[key] = c.At
		}
	})
	return committed, end
}

// sagaCount: how many sagas musiccorp_order_saga_seconds has observed ending in status.
func sagaCount(t *testing.T, status string) uint64 {
	t.Helper()
	var metric dto.Metric
	if err := sagaSeconds.WithLabelValues(status).(prometheus.Histogram).Write(&metric); err != nil {
		t.Fatal(err)
	}
	return metric.GetHistogram().GetSampleCount()
}
