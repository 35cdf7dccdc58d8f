package outbox

import (
	"strings"
	"testing"

	"musiccorp/order-go/internal/config"
)

func loadSchemas(t *testing.T) *Schemas {
	t.Helper()
	schemas, err := LoadSchemas("../../" + config.DefaultSchemaDir)
	if err != nil {
		t.Fatal(err)
	}
	return schemas
}

const placed = `{"event_id":"0b9a4f3e-2a4e-4c8e-9a53-0a0f1f6a7a11","event_type":"order.placed","event_version":1,
"occurred_at":"2026-12-07T14:00:00.123456+00:00","correlation_id":"c-1","producer":"order",
"data":{"order_id":"5b7e2a1c-1f0e-4d3c-8b7a-6f5e4d3c2b1a","customer_email":"ann@example.com",
"items":[{"sku":"CD001","quantity":2,"unit_price":"14.99"}],"total":"29.98","currency":"EUR","payment_token":"tok_visa"}}`

func TestAValidOrderPlacedPasses(t *testing.T) {
	if err := loadSchemas(t).Validate([]byte(placed)); err != nil {
		t.Fatal(err)
	}
}

func TestTheSharedSchemasRefuseWhatPythonRefuses(t *testing.T) {
	schemas := loadSchemas(t)
	for name, change := range map[string][2]string{
		"money without cents":   {`"total":"29.98"`, `"total":"29.9"`},
		"unknown producer":      {`"producer":"order"`, `"producer":"orders"`},
		"lower-case sku":        {`"sku":"CD001"`, `"sku":"cd001"`},
		"quantity over 1000":    {`"quantity":2`, `"quantity":1001`},
		"extra data field":      {`"currency":"EUR"`, `"currency":"EUR","x":1`},
		"order id not a uuid":   {`"order_id":"5b7e2a1c-1f0e-4d3c-8b7a-6f5e4d3c2b1a"`, `"order_id":"42"`},
		"unknown event version": {`"event_version":1`, `"event_version":2`},
	} {
		broken := strings.Replace(placed, change[0], change[1], 1)
		if err := schemas.Validate([]byte(broken)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
