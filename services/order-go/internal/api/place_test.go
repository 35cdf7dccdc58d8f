package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"musiccorp/order-go/internal/events"
	"musiccorp/order-go/internal/testdb"
)

func TestAnOrderIsPlacedPendingWithCatalogPrices(t *testing.T) {
	f := newFixture(t)
	response := f.do(t, "POST", "/orders", good())
	if response.Code != http.StatusCreated {
		t.Fatalf("status %d: %s", response.Code, response.Body)
	}
	body := decode(t, response)
	keys := []string{}
	for key := range body {
		keys = append(keys, key)
	}
	if len(keys) != 7 || body["status"] != "PENDING" || body["total"] != "47.97" || body["currency"] != "EUR" {
		t.Fatalf("unexpected order: %v", body)
	}
	wantItems := []any{
		map[string]any{"sku": "CD001", "title": "Kind of Blue", "unit_price": "14.99", "quantity": 2.0, "line_total": "29.98"},
		map[string]any{"sku": "CD002", "title": "Abbey Road", "unit_price": "17.99", "quantity": 1.0, "line_total": "17.99"},
	}
	if !reflect.DeepEqual(body["items"], wantItems) {
		t.Errorf("items = %v", body["items"])
	}
	id := body["id"].(string)
	if got := f.inventory.reserved(); !reflect.DeepEqual(got, map[[2]string]int{{id, "CD001"}: 2, {id, "CD002"}: 1}) {
		t.Errorf("reserved = %v", got)
	}
	if n := f.count(t, "SELECT count(*) FROM orders_order WHERE id = $1 AND status = 'PENDING' AND total = 47.97", id); n != 1 {
		t.Errorf("order row not found")
	}
	if f.inventory.badToken != 0 {
		t.Errorf("a call to inventory came without order's service token")
	}
}

func TestOrderPlacedIsInTheOutboxWithTheSchemaDataAndHeaders(t *testing.T) {
	f := newFixture(t)
	listener, err := pgx.Connect(t.Context(), testdb.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer listener.Close(context.Background())
	if _, err := listener.Exec(t.Context(), "LISTEN musiccorp_outbox"); err != nil {
		t.Fatal(err)
	}
	traceparent := "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
	id := decode(t, f.do(t, "POST", "/orders", good(), "X-Correlation-ID", "corr-place-1", "traceparent", traceparent))["id"].(string)

	var topic, key, eventType string
	var envelope map[string]any
	var headers map[string]string
	err = f.pool.QueryRow(t.Context(), `SELECT topic, key, event_type, envelope, headers FROM musiccorp_common_outboxevent
		WHERE sent_at IS NULL AND attempts = 0 AND parked_at IS NULL`).Scan(&topic, &key, &eventType, &envelope, &headers)
	if err != nil {
		t.Fatal(err)
	}
	if topic != "order.placed" || eventType != "order.placed" || key != id {
		t.Errorf("row: topic %q type %q key %q", topic, eventType, key)
	}
	if envelope["correlation_id"] != "corr-place-1" || envelope["producer"] != "order" || envelope["event_version"] != 1.0 {
		t.Errorf("envelope: %v", envelope)
	}
	wantData := map[string]any{
		"order_id": id, "customer_email": "ann@example.com",
		"items": []any{
			map[string]any{"sku": "CD001", "quantity": 2.0, "unit_price": "14.99"},
			map[string]any{"sku": "CD002", "quantity": 1.0, "unit_price": "17.99"},
		},
		"total": "47.97", "currency": "EUR", "payment_token": "tok_visa",
	}
	if !reflect.DeepEqual(envelope["data"], wantData) {
		t.Errorf("data = %v", envelope["data"])
	}
	if !reflect.DeepEqual(headers, map[string]string{"x-correlation-id": "corr-place-1", "traceparent": traceparent}) {
		t.Errorf("headers = %v", headers)
	}
	encoded, _ := json.Marshal(envelope)
	if _, err := f.schemas.Parse(encoded); err != nil {
		t.Errorf("stored envelope fails its schema: %v", err)
	}
	// The relays are woken by the commit.
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if _, err := listener.WaitForNotification(ctx); err != nil {
		t.Errorf("no NOTIFY musiccorp_outbox after the commit: %v", err)
	}
}

func TestPlacingAnOrderCallsCatalogOnceAndInventoryOnce(t *testing.T) {
	f := newFixture(t)
	f.catalog.albums["CD003"] = [3]string{"Rumours", "15.99", "EUR"}
	f.inventory.stock["CD003"] = 4
	items := []any{
		map[string]any{"sku": "CD001", "quantity": 1}, map[string]any{"sku": "CD002", "quantity": 2},
		map[string]any{"sku": "CD003", "quantity": 3},
	}
	response := f.do(t, "POST", "/orders", with(good(), "items", items))
	if response.Code != http.StatusCreated {
		t.Fatalf("status %d: %s", response.Code, response.Body)
	}
	if !reflect.DeepEqual(f.catalog.lookups, [][]string{{"CD001", "CD002", "CD003"}}) {
		t.Errorf("catalog lookups = %v", f.catalog.lookups)
	}
	if f.inventory.calls("reserve") != 1 || f.inventory.calls("release") != 0 {
		t.Errorf("inventory calls = %v", f.inventory.orderCalls)
	}
}

func TestDuplicateSkusAreMergedIntoOneLine(t *testing.T) {
	f := newFixture(t)
	items := []any{map[string]any{"sku": "CD001", "quantity": 2}, map[string]any{"sku": "CD001", "quantity": 3}}
	body := decode(t, f.do(t, "POST", "/orders", with(good(), "items", items)))
	lines := body["items"].([]any)
	if len(lines) != 1 || lines[0].(map[string]any)["quantity"] != 5.0 || lines[0].(map[string]any)["line_total"] != "74.95" {
		t.Errorf("items = %v", lines)
	}
}

func items(pairs ...any) []any {
	out := []any{}
	for i := 0; i+1 < len(pairs); i += 2 {
		out = append(out, map[string]any{"sku": pairs[i], "quantity": pairs[i+1]})
	}
	return out
}

func TestBadInputIs400NamingTheFieldAndReservesNothing(t *testing.T) {
	f := newFixture(t)
	many := []any{}
	for n := range 51 {
		many = append(many, map[string]any{"sku": fmt.Sprintf("CD%03d", n), "quantity": 1})
	}
	cases := []struct {
		field string
		value any
	}{
		{"customer_email", "not-an-email"}, {"customer_email", ""}, {"customer_email", nil},
		{"customer_email", strings.Repeat("a", 250) + "@example.com"},
		{"items", []any{}}, {"items", "CD001"}, {"items", map[string]any{"sku": "CD001", "quantity": 1}},
		{"items", []any{"CD001"}}, {"items", many},
		{"items", items("CD001", 0)}, {"items", items("CD001", -1)}, {"items", items("CD001", 1001)},
		{"items", items("CD001", json.Number("1000000000000000000000000000000"))}, {"items", items("CD001", true)},
		{"items", items("CD001", "2")}, {"items", items("CD001", json.Number("2.0"))}, {"items", items("CD001", 2.5)},
		{"items", items("CD001", nil)}, {"items", items("CD001", 600, "CD001", 600)},
		{"items", items("cd001", 1)}, {"items", items("-CD001", 1)}, {"items", items(strings.Repeat("C", 33), 1)},
		{"items", items("CD/../x", 1)}, {"items", []any{map[string]any{"quantity": 1}}},
		{"items", []any{map[string]any{"sku": "CD001"}}},
		{"payment_token", ""}, {"payment_token", strings.Repeat("t", 101)}, {"payment_token", 123},
	}
	for _, c := range cases {
		response := f.do(t, "POST", "/orders", with(good(), c.field, c.value))
		if response.Code != http.StatusBadRequest {
			t.Errorf("%s=%v: status %d", c.field, c.value, response.Code)
			continue
		}
		if _, named := decode(t, response)[c.field]; !named {
			t.Errorf("%s=%v: error does not name the field: %s", c.field, c.value, response.Body)
		}
	}
	for _, missing := range []string{"customer_email", "items", "payment_token"} {
		response := f.do(t, "POST", "/orders", without(good(), missing))
		if body := decode(t, response); response.Code != 400 || fmt.Sprint(body[missing]) != "[This field is required.]" {
			t.Errorf("missing %s: %d %v", missing, response.Code, body)
		}
	}
	if f.inventory.calls("reserve") != 0 || f.count(t, "SELECT count(*) FROM orders_order") != 0 {
		t.Error("bad input reserved stock or created an order")
	}
}

func TestDRFsMessagesForTheCommonMistakes(t *testing.T) {
	f := newFixture(t)
	body := decode(t, f.do(t, "POST", "/orders", with(good(), "items", items("CD001", "2"))))
	want := `{"items":{"0":{"quantity":["A whole number is required (not a string, decimal or boolean)."]}}}`
	if encoded, _ := json.Marshal(body); string(encoded) != want {
		t.Errorf("got %s", encoded)
	}
	body = decode(t, f.do(t, "POST", "/orders", with(good(), "items", items("CD001", 600, "CD001", 600))))
	if fmt.Sprint(body["items"]) != "[At most 1000 of one SKU per order: CD001.]" {
		t.Errorf("got %v", body)
	}
	body = decode(t, f.do(t, "POST", "/orders", with(good(), "customer_email", "nope")))
	if fmt.Sprint(body["customer_email"]) != "[Enter a valid email address.]" {
		t.Errorf("got %v", body)
	}
}

func TestMalformedOrWronglyShapedJSONIs400(t *testing.T) {
	f := newFixture(t)
	for _, raw := range []string{"{not json", "[]", "null", "42", `"text"`, `{"items": 1e999}`, `{} {}`} {
		response := f.do(t, "POST", "/orders", raw)
		if response.Code != http.StatusBadRequest || len(decode(t, response)) == 0 {
			t.Errorf("%q: %d %s", raw, response.Code, response.Body)
		}
	}
	if response := f.do(t, "POST", "/orders", ""); response.Code != 400 || len(decode(t, response)) != 3 {
		t.Errorf("empty body: %d %s", response.Code, response.Body)
	}
}

func TestUnknownSkuInCatalogIs400NamingIt(t *testing.T) {
	f := newFixture(t)
	response := f.do(t, "POST", "/orders", with(good(), "items", items("CD001", 1, "CD999", 1)))
	if response.Code != 400 || decode(t, response)["detail"] != "Unknown SKU: CD999." {
		t.Errorf("%d %s", response.Code, response.Body)
	}
	if f.inventory.calls("reserve") != 0 {
		t.Error("reserved after an unknown SKU")
	}
}

func TestUnknownSkuInInventoryIs400AndNothingIsHeld(t *testing.T) {
	f := newFixture(t)
	f.catalog.albums["CD003"] = [3]string{"Rumours", "15.99", "EUR"}
	response := f.do(t, "POST", "/orders", with(good(), "items", items("CD001", 1, "CD003", 1)))
	if response.Code != 400 || !strings.Contains(decode(t, response)["detail"].(string), "CD003") {
		t.Errorf("%d %s", response.Code, response.Body)
	}
	if len(f.inventory.reserved()) != 0 || f.count(t, "SELECT count(*) FROM orders_order") != 0 {
		t.Error("stock held or order created")
	}
}

func TestMixedCurrenciesAndATotalBeyondTheMoneyFormatAre400(t *testing.T) {
	f := newFixture(t)
	f.catalog.albums["CD002"] = [3]string{"Abbey Road", "17.99", "USD"}
	response := f.do(t, "POST", "/orders", good())
	if response.Code != 400 || !strings.Contains(decode(t, response)["detail"].(string), "currency") {
		t.Errorf("mixed: %d %s", response.Code, response.Body)
	}
	f.catalog.albums["CD001"] = [3]string{"Box Set", "99999999.99", "EUR"}
	response = f.do(t, "POST", "/orders", with(good(), "items", items("CD001", 1000)))
	if response.Code != 400 || decode(t, response)["detail"] != "The order total exceeds 9999999999.99." {
		t.Errorf("total: %d %s", response.Code, response.Body)
	}
	if f.inventory.calls("reserve") != 0 {
		t.Error("reserved a rejected order")
	}
}

func TestNotEnoughStockIs409AndNothingStaysReservedOrPending(t *testing.T) {
	f := newFixture(t)
	f.inventory.stock["CD002"] = 0
	response := f.do(t, "POST", "/orders", good())
	if response.Code != 409 || decode(t, response)["detail"] != "Not enough stock for CD002." {
		t.Errorf("%d %s", response.Code, response.Body)
	}
	// Inventory reserves all lines or none: after its 409 there is nothing to release.
	if f.inventory.calls("release") != 0 || len(f.inventory.reserved()) != 0 {
		t.Errorf("calls %v", f.inventory.orderCalls)
	}
	if f.count(t, "SELECT count(*) FROM orders_order")+f.count(t, "SELECT count(*) FROM musiccorp_common_outboxevent") != 0 {
		t.Error("an order or event was written")
	}
}

func TestInventoryDownIs503AfterRetriesAndReleasesEveryLineInOneCall(t *testing.T) {
	f := newFixture(t)
	f.inventory.down = true
	response := f.do(t, "POST", "/orders", good())
	if response.Code != 503 || decode(t, response)["detail"] != "The inventory service is temporarily unavailable." {
		t.Fatalf("%d %s", response.Code, response.Body)
	}
	if f.inventory.calls("reserve") != 3 || f.inventory.calls("release") != 1 {
		t.Errorf("calls %v", f.inventory.orderCalls)
	}
	orderID := f.inventory.orderCalls[0][1]
	if !reflect.DeepEqual(f.inventory.released, [][2]string{{"CD001", orderID}, {"CD002", orderID}}) {
		t.Errorf("released %v", f.inventory.released)
	}
	if f.count(t, "SELECT count(*) FROM orders_order") != 0 {
		t.Error("an order was created")
	}
}

func TestASlowPeerIs503WithinTheBudget(t *testing.T) {
	f := newFixture(t)
	f.server.Config.PeerBudget = 300 * time.Millisecond
	f.inventory.delay = time.Second
	started := time.Now()
	response := f.do(t, "POST", "/orders", good())
	if response.Code != 503 || time.Since(started) > 3*time.Second {
		t.Errorf("%d after %s", response.Code, time.Since(started))
	}
	if f.inventory.calls("release") != 1 {
		t.Errorf("release not attempted: %v", f.inventory.orderCalls)
	}
}

func TestCatalogDownIs503BeforeAnythingIsReserved(t *testing.T) {
	f := newFixture(t)
	f.catalog.down = true
	response := f.do(t, "POST", "/orders", good())
	if response.Code != 503 || !strings.Contains(decode(t, response)["detail"].(string), "catalog") {
		t.Errorf("%d %s", response.Code, response.Body)
	}
	if f.catalog.calls != 3 || f.inventory.calls("reserve") != 0 {
		t.Errorf("catalog calls %d, inventory %v", f.catalog.calls, f.inventory.orderCalls)
	}
}

func TestAFailingCommitReleasesTheReservations(t *testing.T) {
	f := newFixture(t)
	// order.placed fails its validation inside the transaction: schemas without its schema.
	dir := t.TempDir()
	for _, name := range []string{"_defs.json", "envelope.v1.json"} {
		raw, err := os.ReadFile(filepath.Join("../..", events.DefaultSchemaDir, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), raw, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	schemas, err := events.LoadSchemas(dir)
	if err != nil {
		t.Fatal(err)
	}
	f.server.Outbox = events.NewPublisher(events.Config{}, schemas)
	response := f.do(t, "POST", "/orders", good())
	if response.Code != 500 || decode(t, response)["detail"] != "Internal server error." {
		t.Errorf("%d %s", response.Code, response.Body)
	}
	if len(f.inventory.reserved()) != 0 || f.inventory.calls("release") != 1 {
		t.Errorf("reservations left: %v", f.inventory.reserved())
	}
	if f.count(t, "SELECT count(*) FROM orders_order") != 0 {
		t.Error("the order was committed without its event")
	}
}

func TestOrdersCannotBeChangedOrDeleted(t *testing.T) {
	f := newFixture(t)
	id := decode(t, f.do(t, "POST", "/orders", good()))["id"].(string)
	for _, method := range []string{"PUT", "PATCH", "DELETE"} {
		response := f.do(t, method, "/orders/"+id, map[string]any{})
		if response.Code != http.StatusMethodNotAllowed || decode(t, response)["detail"] != `Method "`+method+`" not allowed.` {
			t.Errorf("%s: %d %s", method, response.Code, response.Body)
		}
	}
}

func TestTwoConcurrentRequestsWithOneKeyReserveOnce(t *testing.T) {
	f := newFixture(t)
	f.inventory.delay = 300 * time.Millisecond
	var wg sync.WaitGroup
	ids := make([]string, 2)
	codes := make([]int, 2)
	for i := range 2 {
		wg.Go(func() {
			response := f.do(t, "POST", "/orders", good(), "Idempotency-Key", "k-race")
			codes[i] = response.Code
			var body map[string]any
			_ = json.Unmarshal(response.Body.Bytes(), &body)
			ids[i], _ = body["id"].(string)
		})
	}
	wg.Wait()
	if codes[0] != 201 || codes[1] != 201 || ids[0] != ids[1] {
		t.Errorf("codes %v ids %v", codes, ids)
	}
	if f.inventory.calls("reserve") != 1 || f.count(t, "SELECT count(*) FROM orders_order") != 1 {
		t.Errorf("reserved %d times", f.inventory.calls("reserve"))
	}
}
