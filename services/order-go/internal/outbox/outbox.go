// Package outbox writes events into the transactional outbox (musiccorp_common_outboxevent)
// inside the caller's transaction, exactly as musiccorp_common.events.outbox.publish_event
// does: the same envelope, validated against the same schemas, the same headers, and one
// NOTIFY per transaction that wakes the relays (Django's or order-go's) when it commits.
package outbox

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// NotifyChannel is the channel relays LISTEN on (musiccorp_common.events.outbox.NOTIFY_CHANNEL).
const NotifyChannel = "musiccorp_outbox"

// CorrelationHeader and TraceparentHeader are the message headers every event carries.
const (
	CorrelationHeader = "x-correlation-id"
	TraceparentHeader = "traceparent"
)

// CurrentVersion is the envelope version order-go writes.
const CurrentVersion = 1

// Envelope is the value of every Kafka message (contract "Events"); field order as Python's.
type Envelope struct {
	EventID       string `json:"event_id"`
	EventType     string `json:"event_type"`
	EventVersion  int    `json:"event_version"`
	OccurredAt    string `json:"occurred_at"`
	CorrelationID string `json:"correlation_id"`
	Producer      string `json:"producer"`
	Data          any    `json:"data"`
}

// Writer builds, validates and stores events.
type Writer struct {
	Schemas     *Schemas
	Producer    string // the service name: "order"
	TopicPrefix string // EVENTS_TOPIC_PREFIX
}

// Trace is what travels from the request into the event's headers.
type Trace struct {
	CorrelationID string
	Traceparent   string // the caller's W3C traceparent, "" when it sent none
}

// Publish stores the event in tx and NOTIFYs the relays; it returns the envelope written.
func (w *Writer) Publish(ctx context.Context, tx pgx.Tx, eventType, key string, data any, trace Trace) (*Envelope, error) {
	envelope := &Envelope{
		EventID:       uuid.NewString(),
		EventType:     eventType,
		EventVersion:  CurrentVersion,
		OccurredAt:    isoformat(time.Now()),
		CorrelationID: trace.CorrelationID,
		Producer:      w.Producer,
		Data:          data,
	}
	encoded, err := json.Marshal(envelope)
	if err != nil {
		return nil, err
	}
	if err := w.Schemas.Validate(encoded); err != nil {
		return nil, err
	}
	headers := map[string]string{CorrelationHeader: trace.CorrelationID}
	if trace.Traceparent != "" {
		headers[TraceparentHeader] = trace.Traceparent
	}
	encodedHeaders, err := json.Marshal(headers)
	if err != nil {
		return nil, err
	}
	_, err = tx.Exec(ctx, `INSERT INTO musiccorp_common_outboxevent (event_id, topic, event_type, key, envelope,
		headers, created_at, sent_at, attempts, last_error, claimed_by, claim_expires_at, next_attempt_at, parked_at)
		VALUES ($1, $2, $3, $4, $5::jsonb, $6::jsonb, now(), NULL, 0, '', '', NULL, NULL, NULL)`,
		envelope.EventID, w.TopicPrefix+eventType, eventType, key, string(encoded), string(encodedHeaders))
	if err != nil {
		return nil, fmt.Errorf("outbox insert: %w", err)
	}
	// PostgreSQL folds a transaction's identical notifications into one and delivers it on commit.
	if _, err := tx.Exec(ctx, "NOTIFY "+NotifyChannel); err != nil {
		return nil, fmt.Errorf("outbox notify: %w", err)
	}
	return envelope, nil
}

// isoformat is Python's datetime.isoformat() of an aware UTC time, the envelope's occurred_at.
func isoformat(t time.Time) string {
	t = t.UTC().Truncate(time.Microsecond)
	if t.Nanosecond() == 0 {
		return t.Format("2006-01-02T15:04:05+00:00")
	}
	return t.Format("2006-01-02T15:04:05.000000+00:00")
}
