package events

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/twmb/franz-go/pkg/kgo"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
)

// The consumer loop, the counterpart of musiccorp_common/events/consumer.py for the order
// service: same group, topics, inbox table, retries and DLQ policy
// (docs/decisions/0004-consumer-error-policy.md, 0006-transient-and-permanent-failures.md).
//
// Per message: decode and validate the envelope (an invalid one goes to <topic>.dlq at once),
// then one transaction, bounded by a statement and a lock timeout, that records the event_id
// in the inbox (a duplicate is recognised and skipped) and runs the handler; its offset is
// marked for commit only after that transaction committed, and the client commits the marked
// offsets every EVENTS_CONSUMER_COMMIT_INTERVAL_MS, on revocation and on close.
//
// A transient failure is retried with capped exponential backoff for as long as it takes,
// never dead-lettered, and makes the consumer not ready meanwhile; any other failure is
// retried EVENTS_MAX_ATTEMPTS times, then the message goes to <topic>.dlq with the error
// attached and the loop goes on. Each message is handled in a transaction of its own (the
// Python loop's EVENTS_CONSUMER_BATCH_SIZE=1 behaviour; a fetch still takes up to
// EVENTS_CONSUMER_BATCH_SIZE messages at once).

// ErrConsumerFailed: the loop cannot go on (too many Kafka errors in a row, DLQ unreachable);
// the process should exit non-zero so that it is restarted.
var ErrConsumerFailed = errors.New("consumer failed")

// errStopped: a stop or a revocation came while a message was being retried; it stays uncommitted.
var errStopped = errors.New("stopped while retrying")

// ForeignProducer: an envelope names a producer that does not own its event type (contract: Security).
type ForeignProducer struct{ InvalidEvent }

type topicPartition struct {
	topic     string
	partition int32
}

// Consumer consumes the order service's events; Run until its context is cancelled.
type Consumer struct {
	cfg       Config
	pool      *pgxpool.Pool
	schemas   *Schemas
	publisher *Publisher
	handlers  map[string]Handler
	log       *slog.Logger
	client    *kgo.Client

	heartbeat     atomic.Int64 // unix nanoseconds of the loop's last turn
	retryingSince atomic.Int64 // unix nanoseconds; 0 when not retrying

	mu             sync.Mutex
	revoked        map[topicPartition]bool
	highWatermarks map[topicPartition]int64
}

// NewOrderConsumer builds the order service's consumer: the schemas from cfg.SchemaDir, the
// handlers of payment.received, payment.failed and shipment.dispatched, and a group client.
func NewOrderConsumer(pool *pgxpool.Pool, cfg Config, log *slog.Logger) (*Consumer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	schemas, err := LoadSchemas(cfg.SchemaDir)
	if err != nil {
		return nil, err
	}
	c := &Consumer{
		cfg:            cfg,
		pool:           pool,
		schemas:        schemas,
		publisher:      NewPublisher(cfg, schemas),
		handlers:       OrderHandlers(),
		log:            log.With("logger", "musiccorp.events.consumer"),
		revoked:        map[topicPartition]bool{},
		highWatermarks: map[topicPartition]int64{},
	}
	c.client, err = kgo.NewClient(cfg.consumerOpts(c.Topics(), c.onAssigned, c.onRevoked)...)
	if err != nil {
		return nil, fmt.Errorf("consumer client: %w", err)
	}
	c.heartbeat.Store(time.Now().UnixNano())
	return c, nil
}

// RunConsumer consumes until ctx is cancelled; it returns an error wrapping ErrConsumerFailed
// when the loop cannot go on.
func RunConsumer(ctx context.Context, pool *pgxpool.Pool, cfg Config, log *slog.Logger) error {
	c, err := NewOrderConsumer(pool, cfg, log)
	if err != nil {
		return err
	}
	return c.Run(ctx)
}

// Topics the consumer subscribes to, with the prefix.
func (c *Consumer) Topics() []string {
	topics := make([]string, 0, len(c.handlers))
	for eventType := range c.handlers {
		topics = append(topics, c.cfg.Topic(eventType))
	}
	sort.Strings(topics)
	return topics
}

// Ready is false while a message waits for the database or Kafka to come back.
func (c *Consumer) Ready() bool { return c.retryingSince.Load() == 0 }

// Heartbeat is when the loop last turned (a liveness probe fails when it is too old).
func (c *Consumer) Heartbeat() time.Time { return time.Unix(0, c.heartbeat.Load()) }

// Run consumes until ctx is cancelled: the message in hand is finished and committed, the
// marked offsets are committed and the client leaves its group.
func (c *Consumer) Run(ctx context.Context) (err error) {
	c.log.Info("consumer started", "group_id", c.cfg.GroupID, "topics", c.Topics())
	defer func() {
		commitCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if cerr := c.client.CommitMarkedOffsets(commitCtx); cerr != nil {
			// A rebalance took the partition away: the new owner gets the message again and
			// drops it as a duplicate by its event_id.
			c.log.Warn("final offset commit failed", "error", cerr.Error())
		}
		c.client.Close()
		c.log.Info("consumer stopped", "group_id", c.cfg.GroupID)
	}()
	consecutiveErrors := 0
	for ctx.Err() == nil {
		c.heartbeat.Store(time.Now().UnixNano())
		pollCtx, cancel := context.WithTimeout(ctx, time.Second)
		fetches := c.client.PollRecords(pollCtx, c.cfg.ConsumerBatchSize)
		cancel()
		if fetches.IsClientClosed() {
			return nil
		}
		for _, fe := range fetches.Errors() {
			if errors.Is(fe.Err, context.DeadlineExceeded) || errors.Is(fe.Err, context.Canceled) {
				continue
			}
			consecutiveErrors++
			c.log.Warn(fmt.Sprintf("Kafka error (%d in a row): %v", consecutiveErrors, fe.Err), "topic", fe.Topic, "partition", fe.Partition)
			if consecutiveErrors >= c.cfg.MaxConsecutiveKafkaErrs {
				return fmt.Errorf("%w: %d Kafka errors in a row, last: %v", ErrConsumerFailed, consecutiveErrors, fe.Err)
			}
		}
		c.noteHighWatermarks(fetches)
		records := fetches.Records()
		if len(records) > 0 {
			consecutiveErrors = 0
		}
		for _, rec := range records {
			if c.isRevoked(rec) {
				continue // the partition's new owner handles it
			}
			if err := c.Process(ctx, rec); err != nil {
				if errors.Is(err, errStopped) {
					if ctx.Err() != nil {
						return nil
					}
					continue
				}
				return err
			}
		}
	}
	return nil
}

// Process handles one message to an outcome (handled, duplicate or dead_lettered) and marks
// its offset for commit; an error means it was not finished (stop, revocation, DLQ failure).
func (c *Consumer) Process(ctx context.Context, rec *kgo.Record) error {
	start := time.Now()
	defer func() { eventHandleSeconds.WithLabelValues(rec.Topic).Observe(time.Since(start).Seconds()) }()
	env, err := c.validEnvelope(rec)
	if err != nil {
		if err := c.deadLetter(rec, err, c.log.With(recordFields(rec)...)); err != nil {
			return err
		}
		eventsConsumed.WithLabelValues(rec.Topic, "invalid", "dead_lettered").Inc()
		c.finished(rec)
		return nil
	}
	headers := recordHeaders(rec)
	correlationID := env.CorrelationID
	if correlationID == "" {
		correlationID = headers[CorrelationHeader]
	}
	correlationID = AcceptOrGenerateCorrelationID(correlationID)
	ctx = Propagator.Extract(ctx, mapCarrier(headers))
	ctx, span := tracer.Start(ctx, rec.Topic+" process", trace.WithSpanKind(trace.SpanKindConsumer), trace.WithAttributes(
		attribute.String("messaging.system", "kafka"),
		attribute.String("messaging.destination.name", rec.Topic),
		attribute.String("messaging.message.id", env.EventID),
		attribute.String("musiccorp.correlation_id", correlationID),
	))
	defer span.End()
	log := c.log.With(append(recordFields(rec), "event_id", env.EventID, "correlation_id", correlationID)...)
	outcome, err := c.handleWithRetries(ctx, rec, env, handlerContext{publisher: c.publisher, log: log, correlationID: correlationID})
	if err != nil {
		return err
	}
	eventsConsumed.WithLabelValues(rec.Topic, env.EventType, outcome).Inc()
	c.finished(rec)
	return nil
}

// validEnvelope: the message's envelope when it is valid, of a type this consumer handles,
// on that type's topic, and from the type's owner; an *InvalidEvent otherwise.
func (c *Consumer) validEnvelope(rec *kgo.Record) (Envelope, error) {
	env, err := c.schemas.Parse(rec.Value)
	if err != nil {
		return env, err
	}
	if _, ok := c.handlers[env.EventType]; !ok || c.cfg.Topic(env.EventType) != rec.Topic {
		return env, &InvalidEvent{fmt.Sprintf("event type %q does not belong on topic %q", env.EventType, rec.Topic)}
	}
	// ACLs already keep other services off the topic; this also catches a forged or copied envelope.
	if owner := TopicOwners[env.EventType]; env.Producer != owner {
		return env, &ForeignProducer{InvalidEvent{fmt.Sprintf("producer %q does not own %q (owner: %q)", env.Producer, env.EventType, owner)}}
	}
	return env, nil
}

func (c *Consumer) handleWithRetries(ctx context.Context, rec *kgo.Record, env Envelope, hc handlerContext) (string, error) {
	failures, transientStreak := 0, 0 // transient failures never count towards the DLQ
	defer c.leaveTransientRetry(hc.log)
	for {
		outcome, err := c.handleOnce(ctx, rec, env, hc)
		if err == nil {
			return outcome, nil
		}
		eventHandlerErrors.WithLabelValues(rec.Topic).Inc()
		var delay time.Duration
		if IsTransient(err) {
			transientStreak++
			delay = capped(transientStreak, c.cfg.RetryBackoff, c.cfg.TransientBackoffMax)
			c.enterTransientRetry()
			hc.log.Warn(fmt.Sprintf("transient failure (%d in a row), retrying in %.1f s, not ready meanwhile: %s: %v",
				transientStreak, delay.Seconds(), errorName(err), err))
		} else {
			failures++
			c.leaveTransientRetry(hc.log)
			hc.log.Warn(fmt.Sprintf("handler failed (attempt %d of %d): %v", failures, c.cfg.MaxAttempts, err))
			if failures >= c.cfg.MaxAttempts {
				if err := c.deadLetter(rec, err, hc.log); err != nil {
					return "", err
				}
				return "dead_lettered", nil
			}
			delay = c.cfg.RetryBackoff << (failures - 1)
		}
		if !c.backOff(ctx, rec, delay) {
			return "", errStopped
		}
	}
}

// handleOnce: one transaction that records the event_id first (both happen or neither; the
// insert also holds the event_id, so a concurrent duplicate waits and then finds it done) and
// runs the handler. A stop does not cut it short: the message in hand is finished.
func (c *Consumer) handleOnce(ctx context.Context, rec *kgo.Record, env Envelope, hc handlerContext) (string, error) {
	ctx = context.WithoutCancel(ctx)
	var fx Effects
	outcome := "handled"
	err := pgx.BeginFunc(ctx, c.pool, func(tx pgx.Tx) error {
		// Bounds of the handler's work: a lock wait or a slow query fails as a transient failure
		// and is retried later, instead of holding the partition for as long as the database likes.
		if _, err := tx.Exec(ctx, "SELECT set_config('statement_timeout', $1, true), set_config('lock_timeout', $2, true)",
			strconv.FormatInt(c.cfg.HandlerStatementTimeout.Milliseconds(), 10),
			strconv.FormatInt(c.cfg.HandlerLockTimeout.Milliseconds(), 10)); err != nil {
			return err
		}
		recorded, err := recordProcessed(ctx, tx, rec, env)
		if err != nil {
			return err
		}
		if !recorded {
			outcome = "duplicate"
			return nil
		}
		return c.handlers[env.EventType](ctx, tx, env, hc, &fx)
	})
	if err != nil {
		return "", err
	}
	countTransitions(fx)
	return outcome, nil
}

// recordProcessed inserts the inbox row; false when the event_id was already there (a duplicate).
func recordProcessed(ctx context.Context, tx pgx.Tx, rec *kgo.Record, env Envelope) (bool, error) {
	rows, err := tx.Query(ctx, `INSERT INTO `+processedTable+`
		(event_id, topic, event_type, key, correlation_id, occurred_at, processed_at)
		VALUES ($1::text::uuid, $2, $3, $4, $5, $6::text::timestamptz, now())
		ON CONFLICT (event_id) DO NOTHING RETURNING event_id`,
		env.EventID, rec.Topic, env.EventType, string(rec.Key), env.CorrelationID, env.OccurredAt)
	if err != nil {
		return false, err
	}
	defer rows.Close()
	inserted := rows.Next()
	rows.Close()
	return inserted, rows.Err()
}

// deadLetter sends the message to <topic>.dlq with the error attached. It returns an error
// wrapping ErrConsumerFailed when Kafka did not take it: the loop must never commit past a
// message that is neither handled nor parked.
func (c *Consumer) deadLetter(rec *kgo.Record, cause error, log *slog.Logger) error {
	reason := errorName(cause) + ": " + cause.Error()
	if len(reason) > 4000 {
		reason = reason[:4000]
	}
	headers := append([]kgo.RecordHeader{}, rec.Headers...)
	headers = append(headers,
		kgo.RecordHeader{Key: "x-dlq-error", Value: []byte(reason)},
		kgo.RecordHeader{Key: "x-dlq-original-topic", Value: []byte(rec.Topic)},
		kgo.RecordHeader{Key: "x-dlq-original-partition", Value: []byte(strconv.Itoa(int(rec.Partition)))},
		kgo.RecordHeader{Key: "x-dlq-original-offset", Value: []byte(strconv.FormatInt(rec.Offset, 10))},
		kgo.RecordHeader{Key: "x-dlq-consumer-group", Value: []byte(c.cfg.GroupID)},
	)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	dlq := &kgo.Record{Topic: DLQTopic(rec.Topic), Key: rec.Key, Value: rec.Value, Headers: headers}
	if err := c.client.ProduceSync(ctx, dlq).FirstErr(); err != nil {
		return fmt.Errorf("%w: could not dead-letter %s@%d: %v", ErrConsumerFailed, rec.Topic, rec.Offset, err)
	}
	eventsDeadLettered.WithLabelValues(rec.Topic).Inc()
	log.Error(fmt.Sprintf("message dead-lettered to %s: %v", dlq.Topic, cause))
	return nil
}

// DLQTopic is the dead-letter topic of a topic.
func DLQTopic(topic string) string { return topic + ".dlq" }

// backOff waits, turning the heartbeat; false when a stop came or the partition was revoked
// meanwhile (the message is then left uncommitted, to this consumer's next run or the new
// owner). franz-go keeps the group membership without polls, so no pause is needed.
func (c *Consumer) backOff(ctx context.Context, rec *kgo.Record, delay time.Duration) bool {
	deadline := time.Now().Add(delay)
	for {
		c.heartbeat.Store(time.Now().UnixNano())
		if ctx.Err() != nil || c.isRevoked(rec) {
			return false
		}
		remaining := time.Until(deadline)
		if remaining <= 0 {
			return true
		}
		sleep(ctx, min(remaining, 500*time.Millisecond))
	}
}

func (c *Consumer) enterTransientRetry() {
	if c.retryingSince.CompareAndSwap(0, time.Now().UnixNano()) {
		consumerRetrying.Set(1)
	}
}

func (c *Consumer) leaveTransientRetry(log *slog.Logger) {
	if since := c.retryingSince.Swap(0); since != 0 {
		log.Info(fmt.Sprintf("recovered after %.1f s of transient failures", time.Since(time.Unix(0, since)).Seconds()))
		consumerRetrying.Set(0)
	}
}

// finished: the message's transaction committed (or it was dead-lettered): its offset may be committed.
func (c *Consumer) finished(rec *kgo.Record) {
	if c.isRevoked(rec) {
		return
	}
	c.client.MarkCommitRecords(rec)
	c.mu.Lock()
	hwm, ok := c.highWatermarks[topicPartition{rec.Topic, rec.Partition}]
	c.mu.Unlock()
	if ok {
		consumerLag.WithLabelValues(rec.Topic, strconv.Itoa(int(rec.Partition))).Set(float64(max(hwm-rec.Offset-1, 0)))
	}
}

func (c *Consumer) noteHighWatermarks(fetches kgo.Fetches) {
	c.mu.Lock()
	defer c.mu.Unlock()
	fetches.EachPartition(func(p kgo.FetchTopicPartition) {
		if p.Err == nil {
			c.highWatermarks[topicPartition{p.Topic, p.Partition}] = p.HighWatermark
		}
	})
}

func (c *Consumer) isRevoked(rec *kgo.Record) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.revoked[topicPartition{rec.Topic, rec.Partition}]
}

func (c *Consumer) onAssigned(_ context.Context, _ *kgo.Client, assigned map[string][]int32) {
	c.mu.Lock()
	for topic, partitions := range assigned {
		for _, p := range partitions {
			delete(c.revoked, topicPartition{topic, p})
		}
	}
	c.mu.Unlock()
	c.log.Info("partitions assigned: " + describePartitions(assigned))
}

// onRevoked: the messages of these partitions still in hand are the new owner's; what is done
// on them is committed now, so the new owner starts after it.
func (c *Consumer) onRevoked(ctx context.Context, cl *kgo.Client, revoked map[string][]int32) {
	c.mu.Lock()
	for topic, partitions := range revoked {
		for _, p := range partitions {
			c.revoked[topicPartition{topic, p}] = true
		}
	}
	c.mu.Unlock()
	c.log.Info("partitions revoked: " + describePartitions(revoked))
	if err := cl.CommitMarkedOffsets(ctx); err != nil {
		c.log.Warn("offset commit on revocation failed", "error", err.Error())
	}
}

func describePartitions(m map[string][]int32) string {
	var parts []string
	for topic, partitions := range m {
		for _, p := range partitions {
			parts = append(parts, fmt.Sprintf("%s[%d]", topic, p))
		}
	}
	sort.Strings(parts)
	return fmt.Sprint(parts)
}

func recordFields(rec *kgo.Record) []any {
	return []any{"topic", rec.Topic, "partition", rec.Partition, "offset", rec.Offset, "key", string(rec.Key)}
}

func recordHeaders(rec *kgo.Record) map[string]string {
	headers := make(map[string]string, len(rec.Headers))
	for _, h := range rec.Headers {
		headers[h.Key] = string(h.Value)
	}
	return headers
}

type mapCarrier map[string]string

func (m mapCarrier) Get(key string) string { return m[key] }
func (m mapCarrier) Set(key, value string) { m[key] = value }
func (m mapCarrier) Keys() []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	return keys
}
