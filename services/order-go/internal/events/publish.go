package events

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// Writing an event into the transactional outbox (musiccorp_common/events/outbox.py,
// publish_event): the row is inserted in the caller's transaction, so the event exists exactly
// when the business change does, and the relays (Python's or Go's) are NOTIFYed on commit.

// The tables the Django migrations own (musiccorp_common.models, orders.models).
const (
	outboxTable    = "musiccorp_common_outboxevent"
	processedTable = "musiccorp_common_processedevent"
	orderTable     = "orders_order"
	// NotifyChannel is the channel a committed publish wakes the relays on.
	NotifyChannel = "musiccorp_outbox"
	// CorrelationHeader carries the correlation id with every event.
	CorrelationHeader = "x-correlation-id"
)

// Propagator is what the Python side's default OpenTelemetry propagator writes and reads:
// W3C traceparent/tracestate and baggage.
var Propagator = propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})

var tracer = otel.Tracer("musiccorp.events")

// Execer is what Publish needs of a transaction (pgx.Tx has it).
type Execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

var _ Execer = pgx.Tx(nil)

// Publisher stores validated events in the outbox.
type Publisher struct {
	cfg     Config
	schemas *Schemas
}

// NewPublisher: events are validated against schemas before they are stored.
func NewPublisher(cfg Config, schemas *Schemas) *Publisher {
	return &Publisher{cfg: cfg, schemas: schemas}
}

// Publish stores the event (key: the order id) in the outbox within tx; correlationID is the
// request's or message's (a fresh one when empty). The headers carry it and the trace context
// of ctx, under a producer span "<topic> publish" as on the Python side.
func (p *Publisher) Publish(ctx context.Context, tx Execer, eventType, key string, data any, correlationID string) (Envelope, error) {
	correlationID = AcceptOrGenerateCorrelationID(correlationID)
	env, err := NewEnvelope(eventType, data, correlationID)
	if err != nil {
		return Envelope{}, err
	}
	if err := p.schemas.Validate(env); err != nil {
		return Envelope{}, fmt.Errorf("publish %s: %w", eventType, err)
	}
	topic := p.cfg.Topic(eventType)
	ctx, span := tracer.Start(ctx, topic+" publish", trace.WithSpanKind(trace.SpanKindProducer), trace.WithAttributes(
		attribute.String("messaging.system", "kafka"),
		attribute.String("messaging.destination.name", topic),
		attribute.String("messaging.message.id", env.EventID),
		attribute.String("musiccorp.correlation_id", correlationID),
	))
	defer span.End()
	headers := OutgoingHeaders(ctx, correlationID)
	envelopeJSON, err := json.Marshal(env)
	if err != nil {
		return Envelope{}, err
	}
	headersJSON, err := json.Marshal(headers)
	if err != nil {
		return Envelope{}, err
	}
	// created_at: the wall clock, as Django's auto_now_add, so two events of one transaction
	// keep their order in the relay's claim.
	_, err = tx.Exec(ctx, `INSERT INTO `+outboxTable+`
		(event_id, topic, event_type, key, envelope, headers, created_at, sent_at, attempts, last_error,
		 claimed_by, claim_expires_at, next_attempt_at, parked_at)
		VALUES ($1::text::uuid, $2, $3, $4, $5, $6, clock_timestamp(), NULL, 0, '', '', NULL, NULL, NULL)`,
		env.EventID, topic, eventType, key, envelopeJSON, headersJSON)
	if err != nil {
		return Envelope{}, fmt.Errorf("outbox insert %s: %w", eventType, err)
	}
	// Delivered only when (and if) the transaction commits; identical ones fold into one.
	if _, err := tx.Exec(ctx, "NOTIFY "+NotifyChannel); err != nil {
		return Envelope{}, err
	}
	return env, nil
}

// OutgoingHeaders: the correlation id plus traceparent (and tracestate, baggage) of ctx's span.
func OutgoingHeaders(ctx context.Context, correlationID string) map[string]string {
	carrier := propagation.MapCarrier{}
	Propagator.Inject(ctx, carrier)
	carrier[CorrelationHeader] = correlationID
	return carrier
}
