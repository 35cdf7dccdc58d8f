package api

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"musiccorp/order-go/internal/config"
	"musiccorp/order-go/internal/events"
	"musiccorp/order-go/internal/peers"
	"musiccorp/order-go/internal/testdb"
)

// The peers are httptest servers speaking catalog's and inventory's HTTP API (docs/api.md):
// these tests are the order service's own, as the Django suite's are with its fakes; the
// real peers are exercised end to end by the stack's suites.

const token = "order-test-token"

type fakeCatalog struct {
	mu      sync.Mutex
	albums  map[string][3]string // sku -> title, price, currency
	down    bool
	lookups [][]string
	calls   int
}

func (c *fakeCatalog) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls++
	if c.down {
		http.Error(w, "down", http.StatusServiceUnavailable)
		return
	}
	if r.Method != http.MethodGet || r.URL.Path != "/albums" {
		http.NotFound(w, r)
		return
	}
	skus := r.URL.Query()["sku"]
	c.lookups = append(c.lookups, skus)
	results := []map[string]any{}
	for _, sku := range skus {
		if album, ok := c.albums[sku]; ok {
			results = append(results, map[string]any{"sku": sku, "title": album[0], "price": album[1], "currency": album[2]})
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"count": len(results), "results": results})
}

type fakeInventory struct {
	mu           sync.Mutex
	stock        map[string]int
	reservations map[[2]string]int // (order_id, sku) -> quantity
	down         bool
	delay        time.Duration
	orderCalls   [][2]string // ("reserve"|"release", order_id)
	released     [][2]string // (sku, order_id)
	badToken     int
}

func (f *fakeInventory) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "Bearer "+token {
		f.mu.Lock()
		f.badToken++
		f.mu.Unlock()
		writeJSON(w, http.StatusUnauthorized, map[string]string{"detail": "Invalid service credential."})
		return
	}
	var body struct {
		OrderID string       `json:"order_id"`
		Lines   []peers.Line `json:"lines"`
		SKUs    []string     `json:"skus"`
	}
	_ = json.NewDecoder(r.Body).Decode(&body)
	time.Sleep(f.delay)
	f.mu.Lock()
	defer f.mu.Unlock()
	switch r.URL.Path {
	case "/reservations":
		f.orderCalls = append(f.orderCalls, [2]string{"reserve", body.OrderID})
		if f.down {
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"detail": "down"})
			return
		}
		f.reserve(w, body.OrderID, body.Lines)
	case "/reservations/release":
		f.orderCalls = append(f.orderCalls, [2]string{"release", body.OrderID})
		for _, sku := range body.SKUs {
			f.released = append(f.released, [2]string{sku, body.OrderID})
			delete(f.reservations, [2]string{body.OrderID, sku})
		}
		writeJSON(w, http.StatusOK, map[string]any{"order_id": body.OrderID, "released": []any{}})
	default:
		http.NotFound(w, r)
	}
}

func (f *fakeInventory) reserve(w http.ResponseWriter, orderID string, lines []peers.Line) {
	for _, line := range lines {
		if _, ok := f.stock[line.SKU]; !ok {
			writeJSON(w, http.StatusNotFound, map[string]string{"detail": "Unknown SKU.", "sku": line.SKU})
			return
		}
	}
	for _, line := range lines {
		if _, held := f.reservations[[2]string{orderID, line.SKU}]; !held && f.available(line.SKU) < line.Quantity {
			writeJSON(w, http.StatusConflict, map[string]string{"detail": "Not enough stock for " + line.SKU + ".", "sku": line.SKU})
			return
		}
	}
	for _, line := range lines {
		f.reservations[[2]string{orderID, line.SKU}] = line.Quantity
	}
	writeJSON(w, http.StatusOK, map[string]any{"order_id": orderID, "lines": lines})
}

func (f *fakeInventory) available(sku string) int {
	held := 0
	for key, quantity := range f.reservations {
		if key[1] == sku {
			held += quantity
		}
	}
	return f.stock[sku] - held
}

func (f *fakeInventory) reserved() map[[2]string]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[[2]string]int{}
	for k, v := range f.reservations {
		out[k] = v
	}
	return out
}

func (f *fakeInventory) calls(kind string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, call := range f.orderCalls {
		if call[0] == kind {
			n++
		}
	}
	return n
}

type fixture struct {
	server    *Server
	handler   http.Handler
	pool      *pgxpool.Pool
	catalog   *fakeCatalog
	inventory *fakeInventory
	schemas   *events.Schemas
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	pool := testdb.Pool(t)
	catalog := &fakeCatalog{albums: map[string][3]string{
		"CD001": {"Kind of Blue", "14.99", "EUR"}, "CD002": {"Abbey Road", "17.99", "EUR"},
	}}
	inventory := &fakeInventory{stock: map[string]int{"CD001": 10, "CD002": 10}, reservations: map[[2]string]int{}}
	catalogServer, inventoryServer := httptest.NewServer(catalog), httptest.NewServer(inventory)
	t.Cleanup(catalogServer.Close)
	t.Cleanup(inventoryServer.Close)
	schemas, err := events.LoadSchemas("../../" + events.DefaultSchemaDir)
	if err != nil {
		t.Fatal(err)
	}
	// Into the test's own output: shown for a failing test or with -v.
	log := slog.New(LogHandler{slog.NewJSONHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn})})
	client := peers.NewHTTPClient()
	cfg := config.Config{PeerBudget: 10 * time.Second, ReleaseBudget: 5 * time.Second, ServiceName: "order"}
	server := &Server{
		Config:    cfg,
		Pool:      pool,
		Catalog:   &peers.Client{Service: "catalog", BaseURL: catalogServer.URL, Token: token, HTTP: client, Log: log},
		Inventory: &peers.Client{Service: "inventory", BaseURL: inventoryServer.URL, Token: token, HTTP: client, Log: log},
		Outbox:    events.NewPublisher(events.Config{}, schemas),
		Metrics:   NewMetrics(),
		Log:       log,
	}
	return &fixture{server: server, handler: server.Handler(), pool: pool, catalog: catalog, inventory: inventory, schemas: schemas}
}

// do sends a request; body is JSON-encoded unless it is a string (sent as is).
func (f *fixture) do(t *testing.T, method, path string, body any, headers ...string) *httptest.ResponseRecorder {
	t.Helper()
	var text string
	switch b := body.(type) {
	case nil:
	case string:
		text = b
	default:
		encoded, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		text = string(encoded)
	}
	request := httptest.NewRequest(method, path, strings.NewReader(text))
	if text != "" {
		request.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		request.Header.Set(headers[i], headers[i+1])
	}
	recorder := httptest.NewRecorder()
	f.handler.ServeHTTP(recorder, request)
	return recorder
}

func decode(t *testing.T, recorder *httptest.ResponseRecorder) map[string]any {
	t.Helper()
	var body map[string]any
	if err := json.Unmarshal(recorder.Body.Bytes(), &body); err != nil {
		t.Fatalf("response is not a JSON object: %q", recorder.Body.String())
	}
	return body
}

func (f *fixture) count(t *testing.T, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := f.pool.QueryRow(t.Context(), sql, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func good() map[string]any {
	return map[string]any{
		"customer_email": "ann@example.com",
		"items":          []any{map[string]any{"sku": "CD001", "quantity": 2}, map[string]any{"sku": "CD002", "quantity": 1}},
		"payment_token":  "tok_visa",
	}
}

func with(body map[string]any, key string, value any) map[string]any {
	out := map[string]any{}
	for k, v := range body {
		out[k] = v
	}
	out[key] = value
	return out
}

func without(body map[string]any, key string) map[string]any {
	out := with(body, key, nil)
	delete(out, key)
	return out
}
