package outbox

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// Schemas validates envelopes against the shared JSON Schemas (musiccorp_common/events/schemas):
// the envelope first, then its data by the schema of event_type at event_version, as
// musiccorp_common.events.envelope.validate does.
type Schemas struct {
	envelope *jsonschema.Schema
	data     map[string]*jsonschema.Schema // "order.placed.v1" -> schema
}

// LoadSchemas compiles every *.json schema of dir; each is registered under its own $id, so the
// "musiccorp:defs#/$defs/..." references resolve to _defs.json.
func LoadSchemas(dir string) (*Schemas, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil || len(files) == 0 {
		return nil, fmt.Errorf("no event schemas in %s (EVENTS_SCHEMA_DIR)", dir)
	}
	compiler := jsonschema.NewCompiler()
	compiler.AssertFormat()
	ids := map[string]string{}
	for _, file := range files {
		raw, err := os.ReadFile(file)
		if err != nil {
			return nil, err
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		id, _ := doc.(map[string]any)["$id"].(string)
		if id == "" {
			return nil, fmt.Errorf("%s: no $id", file)
		}
		if err := compiler.AddResource(id, doc); err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		ids[strings.TrimSuffix(filepath.Base(file), ".json")] = id
	}
	s := &Schemas{data: map[string]*jsonschema.Schema{}}
	for name, id := range ids {
		if name == "_defs" {
			continue
		}
		schema, err := compiler.Compile(id)
		if err != nil {
			return nil, fmt.Errorf("compiling %s: %w", name, err)
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

// InvalidEventError is an envelope or its data that does not match its schema.
type InvalidEventError struct{ Reason string }

func (e *InvalidEventError) Error() string { return "invalid event: " + e.Reason }

// Validate checks an encoded envelope against the envelope schema and its data schema.
func (s *Schemas) Validate(encoded []byte) error {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(encoded))
	if err != nil {
		return &InvalidEventError{Reason: "not JSON: " + err.Error()}
	}
	if err := s.envelope.Validate(doc); err != nil {
		return &InvalidEventError{Reason: "envelope: " + err.Error()}
	}
	envelope := doc.(map[string]any)
	version, _ := envelope["event_version"].(json.Number)
	name := fmt.Sprintf("%s.v%s", envelope["event_type"], version)
	schema, ok := s.data[name]
	if !ok {
		return &InvalidEventError{Reason: "no schema for " + name}
	}
	if err := schema.Validate(envelope["data"]); err != nil {
		return &InvalidEventError{Reason: name + ": " + err.Error()}
	}
	return nil
}
