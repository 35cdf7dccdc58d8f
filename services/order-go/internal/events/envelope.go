package events

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// The event envelope and its validation against the JSON Schemas the Python services use
// (musiccorp_common/events/envelope.py): the same files, read from Config.SchemaDir.

// TopicOwners: the service that alone may publish each event type (contract "Events").
// A consumer dead-letters an envelope whose producer is not its type's owner.
var TopicOwners = map[string]string{
	"order.placed":        "order",
	"payment.received":    "payment",
	"payment.failed":      "payment",
	"shipment.dispatched": "shipping",
	"order.cancelled":     "order",
	"stock.released":      "inventory",
}

// CurrentVersion is the event_version of every event this service builds.
const CurrentVersion = 1

// Envelope is the value of every Kafka message. Its fields are in the order the Python
// producer serialises them.
type Envelope struct {
	EventID       string          `json:"event_id"`
	EventType     string          `json:"event_type"`
	EventVersion  int             `json:"event_version"`
	OccurredAt    string          `json:"occurred_at"`
	CorrelationID string          `json:"correlation_id"`
	Producer      string          `json:"producer"`
	Data          json.RawMessage `json:"data"`
}

// InvalidEvent: an envelope or its data does not match the event's schema, is not JSON, does
// not belong on its topic or names a producer that does not own its type. Never retried:
// such a message goes to the DLQ at once.
type InvalidEvent struct{ Reason string }

func (e *InvalidEvent) Error() string { return e.Reason }

// Bytes is the message value: compact JSON, fields in the envelope's order.
func (e Envelope) Bytes() ([]byte, error) {
	var data bytes.Buffer
	if err := json.Compact(&data, e.Data); err != nil {
		return nil, fmt.Errorf("envelope data: %w", err)
	}
	e.Data = data.Bytes()
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	// Python's json.dumps leaves <, > and & as they are.
	enc.SetEscapeHTML(false)
	if err := enc.Encode(e); err != nil {
		return nil, err
	}
	return bytes.TrimRight(out.Bytes(), "\n"), nil
}

// Schemas validates envelopes and their data, one compiled schema per file.
type Schemas struct {
	envelope *jsonschema.Schema
	data     map[string]*jsonschema.Schema // "payment.failed.v1" -> schema
}

// The ids the schema files give themselves ("$id": "musiccorp:envelope.v1") and by which
// they refer to the shared definitions ("musiccorp:defs#/$defs/order_id").
const schemaIDPrefix = "musiccorp:"

// LoadSchemas compiles every *.json file of dir (each under its own "$id"), with format
// assertions on ("uuid", "date-time"), as the Python validator's FormatChecker does.
func LoadSchemas(dir string) (*Schemas, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil || len(files) == 0 {
		return nil, fmt.Errorf("no event schemas in %s (EVENTS_SCHEMA_DIR): %v", dir, err)
	}
	compiler := jsonschema.NewCompiler()
	compiler.AssertFormat()
	names := []string{}
	for _, file := range files {
		raw, err := os.ReadFile(file)
		if err != nil {
			return nil, err
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		name := strings.TrimSuffix(filepath.Base(file), ".json")
		if err := compiler.AddResource(schemaIDPrefix+strings.TrimPrefix(name, "_"), doc); err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		if !strings.HasPrefix(name, "_") {
			names = append(names, name)
		}
	}
	s := &Schemas{data: map[string]*jsonschema.Schema{}}
	for _, name := range names {
		schema, err := compiler.Compile(schemaIDPrefix + name)
		if err != nil {
			return nil, fmt.Errorf("schema %s: %w", name, err)
		}
		if name == "envelope.v1" {
			s.envelope = schema
		} else {
			s.data[name] = schema
		}
	}
	if s.envelope == nil {
		return nil, fmt.Errorf("no envelope.v1.json in %s", dir)
	}
	return s, nil
}

// Parse decodes and validates a message value (parse_envelope): the envelope, then its data
// against the schema of its type and version.
func (s *Schemas) Parse(raw []byte) (Envelope, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return Envelope{}, &InvalidEvent{fmt.Sprintf("message value is not JSON: %v", err)}
	}
	if err := s.validate(doc); err != nil {
		return Envelope{}, err
	}
	var env Envelope
	if err := json.Unmarshal(raw, &env); err != nil {
		return Envelope{}, &InvalidEvent{fmt.Sprintf("message value is not an envelope: %v", err)}
	}
	return env, nil
}

// Validate checks an envelope this service built before it is stored (build_envelope).
func (s *Schemas) Validate(env Envelope) error {
	raw, err := json.Marshal(env)
	if err != nil {
		return err
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return err
	}
	return s.validate(doc)
}

func (s *Schemas) validate(doc any) error {
	if err := s.envelope.Validate(doc); err != nil {
		return &InvalidEvent{"envelope invalid: " + firstLine(err)}
	}
	m := doc.(map[string]any)
	name := fmt.Sprintf("%v.v%v", m["event_type"], m["event_version"])
	schema, ok := s.data[name]
	if !ok {
		return &InvalidEvent{"no schema for " + name}
	}
	if err := schema.Validate(m["data"]); err != nil {
		return &InvalidEvent{name + " invalid: " + firstLine(err)}
	}
	return nil
}

// firstLine: the first failing keyword and where (the validator's own message has one line per keyword).
func firstLine(err error) string {
	var verr *jsonschema.ValidationError
	if errors.As(err, &verr) {
		for _, unit := range verr.BasicOutput().Errors {
			if unit.Error == nil {
				continue
			}
			where := unit.InstanceLocation
			if where == "" {
				where = "(root)"
			}
			if msg := unit.Error.String(); msg != "" && !strings.HasPrefix(msg, "validation failed") {
				return fmt.Sprintf("at %s: %s", where, msg)
			}
		}
	}
	return strings.ReplaceAll(err.Error(), "\n", "; ")
}

// NewEnvelope builds an envelope produced by this service, with a fresh event id
// (build_envelope); Schemas.Validate checks it.
func NewEnvelope(eventType string, data any, correlationID string) (Envelope, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(data); err != nil {
		return Envelope{}, err
	}
	raw := bytes.TrimRight(buf.Bytes(), "\n")
	return Envelope{
		EventID:      NewUUID(),
		EventType:    eventType,
		EventVersion: CurrentVersion,
		// Python's datetime.now(UTC).isoformat(): microseconds and "+00:00".
		OccurredAt:    time.Now().UTC().Format("2006-01-02T15:04:05.000000-07:00"),
		CorrelationID: correlationID,
		Producer:      ServiceName,
		Data:          raw,
	}, nil
}

// NewUUID is a random (version 4) UUID in its lowercase text form.
func NewUUID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand never fails on a supported platform
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

var validCorrelationID = regexp.MustCompile(`^[A-Za-z0-9._:\-]{1,128}$`)

// AcceptOrGenerateCorrelationID is the caller's id when it is well-formed, a fresh one
// otherwise (musiccorp_common.correlation.accept_or_generate).
func AcceptOrGenerateCorrelationID(candidate string) string {
	if validCorrelationID.MatchString(candidate) {
		return candidate
	}
	return NewUUID()
}
