package events

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"sort"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/twmb/franz-go/pkg/kgo"
)

// The outbox relay, the counterpart of musiccorp_common/events/outbox.py's OutboxRelay, with
// the same claim/lease protocol on the same table (docs/decisions/0003-outbox.md), so any
// number of relays, Python's and Go's, share one outbox:
//
//  0. wait, when the last pass left nothing claimable, for a NOTIFY, then RelayCoalesce more;
//  1. claim: one statement leases a batch of rows to this relay (claimed_by,
//     claim_expires_at). Only the oldest unsent row of each key is claimable, so one order's
//     events are never in flight twice and never overtake each other, whichever relay sends;
//  2. produce and wait for the acknowledgements, outside any transaction;
//  3. settle: one statement marks sent the acknowledged rows this relay still holds; a failed
//     row gets a capped exponential backoff and is parked after RelayMaxAttempts failures.
//
// A relay that dies leaves its rows to expire; another then sends them again: delivery is at
// least once, and consumers drop the duplicate by its event_id.

// The statements are outbox.py's _CLAIM_SQL and _SETTLE_SQL, word for word but the parameters.
const claimSQL = `
UPDATE ` + outboxTable + ` SET claimed_by = $1, claim_expires_at = now() + make_interval(secs => $2)
WHERE event_id IN (
    SELECT o.event_id FROM ` + outboxTable + ` o
    WHERE o.sent_at IS NULL AND o.parked_at IS NULL
      AND (o.claim_expires_at IS NULL OR o.claim_expires_at < now())
      AND (o.next_attempt_at IS NULL OR o.next_attempt_at <= now())
      AND NOT EXISTS (
          SELECT 1 FROM ` + outboxTable + ` older
          WHERE older.key = o.key AND older.sent_at IS NULL AND older.parked_at IS NULL
            AND (older.created_at, older.event_id) < (o.created_at, o.event_id)
      )
    ORDER BY o.created_at, o.event_id
    LIMIT $3
    FOR UPDATE OF o SKIP LOCKED
)
RETURNING event_id::text, topic, key, envelope, headers, attempts, created_at`

const settleSQL = `
UPDATE ` + outboxTable + ` AS settled SET sent_at = now(), claim_expires_at = NULL
WHERE settled.event_id = ANY($1::text[]::uuid[]) AND settled.claimed_by = $2 AND settled.sent_at IS NULL
RETURNING EXISTS (
    SELECT 1 FROM ` + outboxTable + ` later
    WHERE later.key = settled.key AND later.sent_at IS NULL AND later.parked_at IS NULL
      AND later.event_id <> settled.event_id
)`

const recordFailureSQL = `
UPDATE ` + outboxTable + ` SET attempts = $3, last_error = $4,
    next_attempt_at = now() + make_interval(secs => $5),
    parked_at = CASE WHEN $6 THEN now() ELSE NULL END, claim_expires_at = NULL
WHERE event_id = $1::text::uuid AND claimed_by = $2 AND sent_at IS NULL`

// metricsRefresh: the gauges read the whole backlog, and during one the relay passes many times a second.
const metricsRefresh = time.Second

const noAcknowledgement = "no acknowledgement before the timeout"

// OutboxRow is one claimed outbox row.
type OutboxRow struct {
	EventID   string
	Topic     string
	Key       string
	Envelope  []byte
	Headers   map[string]string
	Attempts  int
	CreatedAt time.Time
}

// Relay moves outbox rows to Kafka, oldest first, in leased batches.
type Relay struct {
	ID     string
	cfg    Config
	pool   *pgxpool.Pool
	client *kgo.Client
	log    *slog.Logger

	metricsRefreshed time.Time
}

// NewRelay makes a relay with its own producer; Close releases it. The relay id names the
// process (host:pid:random), as the Python relay's does.
func NewRelay(pool *pgxpool.Pool, cfg Config, log *slog.Logger) (*Relay, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	client, err := kgo.NewClient(cfg.ProducerOpts()...)
	if err != nil {
		return nil, fmt.Errorf("outbox producer: %w", err)
	}
	host, _ := os.Hostname()
	return &Relay{
		ID:     fmt.Sprintf("%s:%d:%s", host, os.Getpid(), NewUUID()[:8]),
		cfg:    cfg,
		pool:   pool,
		client: client,
		log:    log.With("logger", "musiccorp.events.outbox"),
	}, nil
}

// RunRelay relays the outbox until ctx is cancelled; the producer is flushed and closed then.
func RunRelay(ctx context.Context, pool *pgxpool.Pool, cfg Config, log *slog.Logger) error {
	relay, err := NewRelay(pool, cfg, log)
	if err != nil {
		return err
	}
	defer relay.Close()
	relay.Run(ctx)
	return nil
}

// Close flushes what is in flight (within the flush timeout) and closes the producer.
func (r *Relay) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), r.cfg.flushTimeout())
	defer cancel()
	_ = r.client.Flush(ctx)
	r.client.Close()
}

// Run passes until ctx is cancelled. A failed pass (database or broker away) leaves the rows
// pending and is retried after a capped backoff; nothing is lost.
func (r *Relay) Run(ctx context.Context) {
	r.log.Info("outbox relay started", "relay", r.ID)
	defer r.log.Info("outbox relay stopped", "relay", r.ID)
	listener := &outboxListener{pool: r.pool, coalesce: r.cfg.RelayCoalesce, log: r.log}
	defer listener.close()
	failedPasses := 0
	for ctx.Err() == nil {
		_, claimAgain, err := r.pass(ctx)
		if err == nil {
			r.refreshMetricsWhenDue(ctx)
		}
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			failedPasses++
			delay := capped(failedPasses, r.cfg.RelayBackoff, r.cfg.RelayMaxBackoff)
			r.log.Error("outbox relay pass failed; retrying", "error", err.Error(), "delay_seconds", delay.Seconds())
			sleep(ctx, delay)
			continue
		}
		failedPasses = 0
		if !claimAgain {
			// Until a committed publish notifies (at once if one did during the pass), then a
			// coalescing window; at most RelayIdle (rows whose backoff or a dead relay's lease
			// ran out are found then).
			listener.wait(ctx, r.cfg.RelayIdle)
		}
	}
}

// RelayBatch claims, sends and settles one batch; it returns how many rows were marked sent.
func (r *Relay) RelayBatch(ctx context.Context) (int, error) {
	sent, _, err := r.pass(ctx)
	return sent, err
}

// pass: one batch; (rows marked sent, whether rows may be claimable now without a notification).
// They may be when the batch was full, or when a settled row's key has a later row waiting.
func (r *Relay) pass(ctx context.Context) (int, bool, error) {
	rows, err := r.Claim(ctx)
	if err != nil || len(rows) == 0 {
		return 0, false, err
	}
	results := r.produceAndWait(ctx, rows)
	sent, successorWaits, err := r.settle(ctx, rows, results)
	return sent, len(rows) >= r.cfg.RelayBatchSize || successorWaits, err
}

// Claim leases up to RelayBatchSize sendable rows to this relay, oldest first (one statement,
// its own transaction).
func (r *Relay) Claim(ctx context.Context) ([]OutboxRow, error) {
	rows, err := r.pool.Query(ctx, claimSQL, r.ID, r.cfg.RelayLease.Seconds(), r.cfg.RelayBatchSize)
	if err != nil {
		return nil, fmt.Errorf("outbox claim: %w", err)
	}
	claimed, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (OutboxRow, error) {
		var o OutboxRow
		var headers []byte
		err := row.Scan(&o.EventID, &o.Topic, &o.Key, &o.Envelope, &headers, &o.Attempts, &o.CreatedAt)
		if err == nil {
			err = json.Unmarshal(headers, &o.Headers)
		}
		return o, err
	})
	if err != nil {
		return nil, fmt.Errorf("outbox claim: %w", err)
	}
	sort.Slice(claimed, func(i, j int) bool {
		if !claimed[i].CreatedAt.Equal(claimed[j].CreatedAt) {
			return claimed[i].CreatedAt.Before(claimed[j].CreatedAt)
		}
		return claimed[i].EventID < claimed[j].EventID
	})
	return claimed, nil
}

// record is the Kafka message of an outbox row: key the order id, value the envelope, the
// stored headers (x-correlation-id, traceparent, ...).
func (o OutboxRow) record() (*kgo.Record, error) {
	var env Envelope
	if err := json.Unmarshal(o.Envelope, &env); err != nil {
		return nil, fmt.Errorf("outbox envelope of %s: %w", o.EventID, err)
	}
	value, err := env.Bytes()
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(o.Headers))
	for name := range o.Headers {
		names = append(names, name)
	}
	// jsonb's key order (shorter first), which is the order the Python relay sends them in.
	sort.Slice(names, func(i, j int) bool {
		if len(names[i]) != len(names[j]) {
			return len(names[i]) < len(names[j])
		}
		return names[i] < names[j]
	})
	rec := &kgo.Record{Topic: o.Topic, Key: []byte(o.Key), Value: value}
	for _, name := range names {
		rec.Headers = append(rec.Headers, kgo.RecordHeader{Key: name, Value: []byte(o.Headers[name])})
	}
	return rec, nil
}

// produceAndWait produces every row, oldest first, and waits for the acknowledgements:
// event_id -> nil (acknowledged) or the error; a row missing from the map had none in time.
func (r *Relay) produceAndWait(ctx context.Context, rows []OutboxRow) map[string]error {
	var mu sync.Mutex
	results := make(map[string]error, len(rows))
	var wg sync.WaitGroup
	for _, row := range rows {
		rec, err := row.record()
		if err != nil {
			// Refused before it left: this row's failure, backed off and parked like a broker's refusal.
			results[row.EventID] = err
			outboxPublishErrors.WithLabelValues(row.Topic).Inc()
			continue
		}
		wg.Add(1)
		// The records outlive a cancelled ctx: a stop lets the batch finish within the flush timeout.
		r.client.Produce(context.WithoutCancel(ctx), rec, func(_ *kgo.Record, err error) {
			defer wg.Done()
			mu.Lock()
			results[row.EventID] = err
			mu.Unlock()
			if err != nil {
				outboxPublishErrors.WithLabelValues(row.Topic).Inc()
			} else {
				outboxPublished.WithLabelValues(row.Topic).Inc()
			}
		})
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(r.cfg.flushTimeout()):
	}
	mu.Lock()
	defer mu.Unlock()
	out := make(map[string]error, len(results))
	for id, err := range results {
		out[id] = err
	}
	return out
}

// settle marks sent what Kafka acknowledged and backs off what failed, for rows this relay
// still holds; when all were acknowledged this is one statement.
func (r *Relay) settle(ctx context.Context, rows []OutboxRow, results map[string]error) (int, bool, error) {
	// Settling must not be skipped by a stop that came during the produce.
	ctx = context.WithoutCancel(ctx)
	var delivered []string
	var failed []OutboxRow
	for _, row := range rows {
		if err, ok := results[row.EventID]; ok && err == nil {
			delivered = append(delivered, row.EventID)
		} else {
			failed = append(failed, row)
		}
	}
	var successors []bool
	err := pgx.BeginFunc(ctx, r.pool, func(tx pgx.Tx) error {
		var err error
		if successors, err = r.markSent(ctx, tx, delivered); err != nil {
			return err
		}
		for _, row := range failed {
			reason := noAcknowledgement
			if err := results[row.EventID]; err != nil {
				reason = err.Error()
			}
			if err := r.recordFailure(ctx, tx, row, reason); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, false, fmt.Errorf("outbox settle: %w", err)
	}
	waits := false
	for _, s := range successors {
		waits = waits || s
	}
	return len(successors), waits, nil
}

func (r *Relay) markSent(ctx context.Context, tx pgx.Tx, eventIDs []string) ([]bool, error) {
	if len(eventIDs) == 0 {
		return nil, nil
	}
	rows, err := tx.Query(ctx, settleSQL, eventIDs, r.ID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[bool])
}

func (r *Relay) recordFailure(ctx context.Context, tx pgx.Tx, row OutboxRow, reason string) error {
	attempts := row.Attempts + 1
	parked := attempts >= r.cfg.RelayMaxAttempts
	delay := capped(attempts, r.cfg.RelayBackoff, r.cfg.RelayMaxBackoff)
	log := r.log.With("event_id", row.EventID, "topic", row.Topic, "attempts", attempts)
	if parked {
		log.Error(fmt.Sprintf("outbox event parked after %d failed deliveries: %s", attempts, reason))
	} else {
		log.Warn(fmt.Sprintf("outbox event not delivered, next try in %.1f s: %s", delay.Seconds(), reason))
	}
	if len(reason) > 2000 {
		reason = reason[:2000]
	}
	_, err := tx.Exec(ctx, recordFailureSQL, row.EventID, r.ID, attempts, reason, delay.Seconds(), parked)
	return err
}

func (r *Relay) refreshMetricsWhenDue(ctx context.Context) {
	if time.Since(r.metricsRefreshed) < metricsRefresh {
		return
	}
	if err := RefreshOutboxMetrics(ctx, r.pool); err != nil {
		r.log.Warn("outbox metrics not refreshed", "error", err.Error())
		return
	}
	r.metricsRefreshed = time.Now()
}

// RefreshOutboxMetrics sets the backlog gauges from the table: unsent rows, parked rows, age
// of the oldest unsent one.
func RefreshOutboxMetrics(ctx context.Context, pool *pgxpool.Pool) error {
	var pending, parked int64
	var oldestAge *float64
	err := pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE parked_at IS NULL), count(*) FILTER (WHERE parked_at IS NOT NULL),
		EXTRACT(EPOCH FROM now() - min(created_at) FILTER (WHERE parked_at IS NULL))::float8
		FROM `+outboxTable+` WHERE sent_at IS NULL`).Scan(&pending, &parked, &oldestAge)
	if err != nil {
		return err
	}
	outboxPending.Set(float64(pending))
	outboxParked.Set(float64(parked))
	age := 0.0
	if oldestAge != nil && *oldestAge > 0 {
		age = *oldestAge
	}
	outboxOldestUnsentAge.Set(age)
	return nil
}

// outboxListener LISTENs on the outbox channel on a connection of its own (taken out of the
// pool, so it never serves queries); it falls back to sleeping when it cannot.
type outboxListener struct {
	pool     *pgxpool.Pool
	conn     *pgx.Conn
	coalesce time.Duration
	log      *slog.Logger
}

func (l *outboxListener) wait(ctx context.Context, timeout time.Duration) {
	if err := l.connect(ctx); err != nil {
		l.log.Warn("outbox listener unavailable; polling instead", "error", err.Error())
		sleep(ctx, timeout)
		return
	}
	if !l.next(ctx, timeout) {
		return
	}
	// The notifications of the commits within the window are dropped: the next claim sees
	// their rows. One arriving after this stays queued and wakes the next wait.
	sleep(ctx, l.coalesce)
	for l.next(ctx, time.Millisecond) {
	}
}

// next waits up to timeout for a notification; false when none came (or the connection broke).
func (l *outboxListener) next(ctx context.Context, timeout time.Duration) bool {
	waitCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	_, err := l.conn.WaitForNotification(waitCtx)
	if err != nil && l.conn.IsClosed() {
		l.close()
	}
	return err == nil
}

func (l *outboxListener) connect(ctx context.Context) error {
	if l.conn != nil {
		return nil
	}
	pooled, err := l.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	conn := pooled.Hijack()
	if _, err := conn.Exec(ctx, "LISTEN "+NotifyChannel); err != nil {
		_ = conn.Close(context.Background())
		return err
	}
	l.conn = conn
	return nil
}

func (l *outboxListener) close() {
	if l.conn != nil {
		_ = l.conn.Close(context.Background())
		l.conn = nil
	}
}

// sleep for d or until ctx is cancelled.
func sleep(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
