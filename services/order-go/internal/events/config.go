package events

import (
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"musiccorp/order-go/internal/env"
)

// GroupID is the consumer group of the order service: the Django consumer's
// (services/order/orders/management/commands/consume.py, group_id = "order"), so the two
// implementations share partitions and committed offsets.
const GroupID = "order"

// ServiceName is the envelope's producer and the Kafka client id's prefix (settings SERVICE_NAME).
const ServiceName = "order"

// Config holds the settings of the event machinery. Each field is read from the environment
// variable of the same meaning as the Django services' (services/common/src/musiccorp_common/
// settings.py, "The event library"), with the same default.
type Config struct {
	// KAFKA_BOOTSTRAP_SERVERS: comma-separated host:port list.
	BootstrapServers []string
	// KAFKA_SECURITY_PROTOCOL: PLAINTEXT or SASL_PLAINTEXT.
	SecurityProtocol string
	// KAFKA_SASL_MECHANISM (SCRAM-SHA-512 or SCRAM-SHA-256), KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD.
	SASLMechanism string
	SASLUsername  string
	SASLPassword  string

	// GroupID of the consumer; GroupID above unless a test changes it.
	GroupID string
	// EVENTS_TOPIC_PREFIX: prepended to every topic name (tests keep their topics apart with it).
	TopicPrefix string
	// EVENTS_SCHEMA_DIR: the JSON Schemas of the events (the Python package's schemas/ folder).
	SchemaDir string

	// Consumer: EVENTS_MAX_ATTEMPTS, EVENTS_RETRY_BACKOFF_SECONDS, EVENTS_TRANSIENT_BACKOFF_MAX_SECONDS,
	// EVENTS_HANDLER_STATEMENT_TIMEOUT_MS, EVENTS_HANDLER_LOCK_TIMEOUT_MS,
	// EVENTS_MAX_CONSECUTIVE_KAFKA_ERRORS, EVENTS_MAX_POLL_INTERVAL_MS,
	// EVENTS_CONSUMER_BATCH_SIZE, EVENTS_CONSUMER_COMMIT_INTERVAL_MS.
	MaxAttempts             int
	RetryBackoff            time.Duration
	TransientBackoffMax     time.Duration
	HandlerStatementTimeout time.Duration
	HandlerLockTimeout      time.Duration
	MaxConsecutiveKafkaErrs int
	MaxPollInterval         time.Duration
	ConsumerBatchSize       int
	ConsumerCommitInterval  time.Duration

	// Relay: EVENTS_PUBLISH_TIMEOUT_MS, EVENTS_RELAY_BATCH_SIZE, EVENTS_RELAY_IDLE_SECONDS,
	// EVENTS_RELAY_COALESCE_MS, EVENTS_RELAY_LEASE_SECONDS, EVENTS_RELAY_BACKOFF_SECONDS,
	// EVENTS_RELAY_MAX_BACKOFF_SECONDS, EVENTS_RELAY_MAX_ATTEMPTS.
	PublishTimeout   time.Duration
	RelayBatchSize   int
	RelayIdle        time.Duration
	RelayCoalesce    time.Duration
	RelayLease       time.Duration
	RelayBackoff     time.Duration
	RelayMaxBackoff  time.Duration
	RelayMaxAttempts int

	// ORDER_PAYMENT_TIMEOUT_SECONDS: how long an order may stay PENDING (ExpirePendingOrders).
	PaymentTimeout time.Duration
	// ORDER_PENDING_DEADLINE_SECONDS, ORDER_PAID_DEADLINE_SECONDS: musiccorp_orders_stuck counts
	// orders PENDING or PAID for longer (StuckOrdersCollector).
	PendingDeadline time.Duration
	PaidDeadline    time.Duration
}

// DefaultSchemaDir is where the schemas are relative to services/order-go (the working
// directory of `go test` and of the local stack's order-go).
const DefaultSchemaDir = "../common/src/musiccorp_common/events/schemas"

// ConfigFromEnv reads the Config from the environment; an unparsable number is an error.
func ConfigFromEnv() (Config, error) {
	r := env.Reader{}
	cfg := Config{
		BootstrapServers:        splitList(r.Str("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")),
		SecurityProtocol:        strings.ToUpper(r.Str("KAFKA_SECURITY_PROTOCOL", "PLAINTEXT")),
		SASLMechanism:           strings.ToUpper(r.Str("KAFKA_SASL_MECHANISM", "SCRAM-SHA-512")),
		SASLUsername:            r.Str("KAFKA_SASL_USERNAME", ""),
		SASLPassword:            r.Str("KAFKA_SASL_PASSWORD", ""),
		GroupID:                 GroupID,
		TopicPrefix:             r.Str("EVENTS_TOPIC_PREFIX", ""),
		SchemaDir:               r.Str("EVENTS_SCHEMA_DIR", DefaultSchemaDir),
		MaxAttempts:             r.Int("EVENTS_MAX_ATTEMPTS", 3),
		RetryBackoff:            r.Seconds("EVENTS_RETRY_BACKOFF_SECONDS", 0.5),
		TransientBackoffMax:     r.Seconds("EVENTS_TRANSIENT_BACKOFF_MAX_SECONDS", 15),
		HandlerStatementTimeout: r.Millis("EVENTS_HANDLER_STATEMENT_TIMEOUT_MS", 5000),
		HandlerLockTimeout:      r.Millis("EVENTS_HANDLER_LOCK_TIMEOUT_MS", 2000),
		MaxConsecutiveKafkaErrs: r.Int("EVENTS_MAX_CONSECUTIVE_KAFKA_ERRORS", 30),
		MaxPollInterval:         r.Millis("EVENTS_MAX_POLL_INTERVAL_MS", 300000),
		ConsumerBatchSize:       r.Int("EVENTS_CONSUMER_BATCH_SIZE", 100),
		ConsumerCommitInterval:  r.Millis("EVENTS_CONSUMER_COMMIT_INTERVAL_MS", 1000),
		PublishTimeout:          r.Millis("EVENTS_PUBLISH_TIMEOUT_MS", 10000),
		RelayBatchSize:          r.Int("EVENTS_RELAY_BATCH_SIZE", 200),
		RelayIdle:               r.Seconds("EVENTS_RELAY_IDLE_SECONDS", 1),
		RelayCoalesce:           r.Millis("EVENTS_RELAY_COALESCE_MS", 5),
		RelayLease:              r.Seconds("EVENTS_RELAY_LEASE_SECONDS", 60),
		RelayBackoff:            r.Seconds("EVENTS_RELAY_BACKOFF_SECONDS", 1),
		RelayMaxBackoff:         r.Seconds("EVENTS_RELAY_MAX_BACKOFF_SECONDS", 60),
		RelayMaxAttempts:        r.Int("EVENTS_RELAY_MAX_ATTEMPTS", 20),
		PaymentTimeout:          r.Seconds("ORDER_PAYMENT_TIMEOUT_SECONDS", 900),
		PendingDeadline:         r.Seconds("ORDER_PENDING_DEADLINE_SECONDS", 600),
		PaidDeadline:            r.Seconds("ORDER_PAID_DEADLINE_SECONDS", 1800),
	}
	if err := r.Err(); err != nil {
		return Config{}, err
	}
	return cfg, cfg.Validate()
}

// Validate checks what the Django side checks when it starts (or would fail on later).
func (c Config) Validate() error {
	switch c.SecurityProtocol {
	case "PLAINTEXT", "SASL_PLAINTEXT":
	default:
		return fmt.Errorf("KAFKA_SECURITY_PROTOCOL=%q: only PLAINTEXT and SASL_PLAINTEXT are supported", c.SecurityProtocol)
	}
	if c.sasl() {
		switch c.SASLMechanism {
		case "SCRAM-SHA-512", "SCRAM-SHA-256":
		default:
			return fmt.Errorf("KAFKA_SASL_MECHANISM=%q: only SCRAM-SHA-512 and SCRAM-SHA-256 are supported", c.SASLMechanism)
		}
	}
	if len(c.BootstrapServers) == 0 {
		return fmt.Errorf("KAFKA_BOOTSTRAP_SERVERS is empty")
	}
	if c.MaxAttempts < 1 || c.RelayBatchSize < 1 || c.RelayMaxAttempts < 1 {
		return fmt.Errorf("EVENTS_MAX_ATTEMPTS, EVENTS_RELAY_BATCH_SIZE and EVENTS_RELAY_MAX_ATTEMPTS must be at least 1")
	}
	// A lease shorter than a produce would hand rows to a second relay while the first still sends them.
	if c.RelayLease <= c.flushTimeout() {
		return fmt.Errorf("EVENTS_RELAY_LEASE_SECONDS (%s) must exceed EVENTS_PUBLISH_TIMEOUT_MS + 2 s", c.RelayLease)
	}
	return nil
}

// Topic is the Kafka topic of an event type: one topic per type, plus the prefix.
func (c Config) Topic(eventType string) string { return c.TopicPrefix + eventType }

// SchemaPath is SchemaDir made absolute, for error messages.
func (c Config) SchemaPath() string {
	p, err := filepath.Abs(c.SchemaDir)
	if err != nil {
		return c.SchemaDir
	}
	return p
}

func (c Config) sasl() bool { return strings.HasPrefix(c.SecurityProtocol, "SASL") }

// flushTimeout: a little beyond the delivery timeout, so every produced row has its report.
func (c Config) flushTimeout() time.Duration { return c.PublishTimeout + 2*time.Second }

func splitList(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}
