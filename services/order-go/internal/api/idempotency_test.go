package api

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"musiccorp/order-go/internal/testdb"
)

func TestAnIdempotentRetryReturnsTheSameOrderReservedOnce(t *testing.T) {
	f := newFixture(t)
	first := f.do(t, "POST", "/orders", good(), "Idempotency-Key", "retry-1")
	second := f.do(t, "POST", "/orders", good(), "Idempotency-Key", "retry-1")
	if first.Code != 201 || second.Code != 201 || second.Header().Get("Idempotent-Replayed") != "true" {
		t.Fatalf("codes %d %d, replayed %q", first.Code, second.Code, second.Header().Get("Idempotent-Replayed"))
	}
	if first.Header().Get("Idempotent-Replayed") != "" {
		t.Error("the first answer claims to be a replay")
	}
	if first.Body.String() != second.Body.String() {
		t.Errorf("bodies differ:\n%s\n%s", first.Body, second.Body)
	}
	if f.inventory.calls("reserve") != 1 || f.count(t, "SELECT count(*) FROM musiccorp_common_outboxevent") != 1 {
		t.Error("the retry reserved or published again")
	}
}

func TestDifferentKeysAreDifferentOrders(t *testing.T) {
	f := newFixture(t)
	first := decode(t, f.do(t, "POST", "/orders", good(), "Idempotency-Key", "k-1"))["id"]
	second := decode(t, f.do(t, "POST", "/orders", good(), "Idempotency-Key", "k-2"))["id"]
	if first == second {
		t.Error("two keys, one order")
	}
}

func TestTheSameKeyWithAnotherBodyIs422(t *testing.T) {
	f := newFixture(t)
	if code := f.do(t, "POST", "/orders", good(), "Idempotency-Key", "k-body").Code; code != 201 {
		t.Fatal(code)
	}
	response := f.do(t, "POST", "/orders", with(good(), "customer_email", "bob@example.com"), "Idempotency-Key", "k-body")
	if response.Code != 422 || !strings.Contains(decode(t, response)["detail"].(string), "Idempotency-Key") {
		t.Errorf("%d %s", response.Code, response.Body)
	}
}

func TestAKeyWhoseFirstAttemptFailedCanBeRetried(t *testing.T) {
	f := newFixture(t)
	f.inventory.stock["CD002"] = 0
	if code := f.do(t, "POST", "/orders", good(), "Idempotency-Key", "k-later").Code; code != 409 {
		t.Fatal(code)
	}
	f.inventory.stock["CD002"] = 5
	if code := f.do(t, "POST", "/orders", good(), "Idempotency-Key", "k-later").Code; code != 201 {
		t.Fatal(code)
	}
}

func TestAMalformedIdempotencyKeyIs400(t *testing.T) {
	f := newFixture(t)
	for _, key := range []string{"", " ", strings.Repeat("x", 101), "caf\u00e9", "tab\there"} {
		request := f.do(t, "POST", "/orders", good(), "Idempotency-Key", key)
		if _, named := decode(t, request)["Idempotency-Key"]; request.Code != 400 || !named {
			t.Errorf("%q: %d %s", key, request.Code, request.Body)
		}
	}
	if f.inventory.calls("reserve") != 0 {
		t.Error("reserved with a malformed key")
	}
}

// The lock is the Django service's own (same id), so a request held by either waits for the other.
func TestAKeyInUseByARunningRequestIs409(t *testing.T) {
	f := newFixture(t)
	saved := IdempotencyWait
	IdempotencyWait = 300 * time.Millisecond
	t.Cleanup(func() { IdempotencyWait = saved })
	other, err := pgx.Connect(t.Context(), testdb.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close(t.Context())
	if _, err := other.Exec(t.Context(), "SELECT pg_advisory_lock($1)", IdempotencyLockID("k-busy")); err != nil {
		t.Fatal(err)
	}
	response := f.do(t, "POST", "/orders", good(), "Idempotency-Key", "k-busy")
	if response.Code != http.StatusConflict || !strings.Contains(decode(t, response)["detail"].(string), "still being processed") {
		t.Errorf("%d %s", response.Code, response.Body)
	}
	if f.inventory.calls("reserve") != 0 {
		t.Error("reserved while the key was busy")
	}
}

// Vectors computed by services/order/orders/services.py's own code (Python's json.dumps and
// int.from_bytes): a retry may reach either implementation.
func TestFingerprintAndLockIDAreTheDjangoServices(t *testing.T) {
	request := &OrderRequest{
		CustomerEmail: "ann@example.com",
		Items:         []Line{{"CD002", 1}, {"CD001", 2}},
		PaymentToken:  "tok_\u00e9\U0001F3B5\"<&>\x7f",
	}
	if got := Fingerprint(request); got != "2b50980e549a4f12a28a06cbdc28916b86905ba51c509498592bb54ff64870f2" {
		t.Errorf("fingerprint %s", got)
	}
	if got := IdempotencyLockID("k-1"); got != -504243715182681909 {
		t.Errorf("lock id %d", got)
	}
	if got := IdempotencyLockID("retry-abc"); got != -7354891492423751301 {
		t.Errorf("lock id %d", got)
	}
}

// A request holding its key's lock does its database work on that same connection: requests
// with keys never wait for a second connection, so a small pool cannot deadlock.
func TestKeyedRequestsDoNotDeadlockASmallPool(t *testing.T) {
	f := newFixture(t)
	config, err := pgxpool.ParseConfig(testdb.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	config.MaxConns = 2
	small, err := pgxpool.NewWithConfig(t.Context(), config)
	if err != nil {
		t.Fatal(err)
	}
	defer small.Close()
	f.server.Pool = small
	f.inventory.delay = 200 * time.Millisecond
	codes := make([]int, 4)
	var wg sync.WaitGroup
	for i := range codes {
		wg.Go(func() {
			codes[i] = f.do(t, "POST", "/orders", good(), "Idempotency-Key", fmt.Sprintf("k-pool-%d", i)).Code
		})
	}
	wg.Wait()
	for i, code := range codes {
		if code != http.StatusCreated {
			t.Errorf("request %d: %d", i, code)
		}
	}
}
