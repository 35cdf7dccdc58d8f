package api

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"musiccorp/order-go/internal/testdb"
)

// Made by Django's own PBKDF2PasswordHasher().encode("s3cret pass", "SaltSaltSalt", iterations=1000).
const djangoHash = "pbkdf2_sha256$1000$SaltSaltSalt$08VnMcaWgBs4ygnuYP1NWOU1DxuTnP1NoCUb6nEhdqU="

func basic(username, password string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(username+":"+password))
}

func (f *fixture) insertOrder(t *testing.T, email, status string, created time.Time) string {
	t.Helper()
	id := uuid.NewString()
	_, err := f.pool.Exec(t.Context(), `INSERT INTO orders_order (id, status, customer_email, total, currency, payment_id,
		shipment_id, tracking_number, cancel_reason, created_at, updated_at, idempotency_key, request_fingerprint)
		VALUES ($1, $2, $3, 29.98, 'EUR', 'pay-1', '', '', '', $4, $4, NULL, '')`, id, status, email, created)
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.pool.Exec(t.Context(), `INSERT INTO orders_orderitem (order_id, sku, title, unit_price, quantity, line_total)
		VALUES ($1, 'CD001', 'Kind of Blue', 14.99, 2, 29.98)`, id)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestAnOrderIsReadByIdWithTheSagaFields(t *testing.T) {
	f := newFixture(t)
	id := f.insertOrder(t, "ann@example.com", "PAID", time.Date(2026, 12, 7, 10, 0, 0, 123456000, time.UTC))
	response := f.do(t, "GET", "/orders/"+id, nil)
	body := decode(t, response)
	if response.Code != 200 || body["id"] != id || body["status"] != "PAID" || body["payment_id"] != "pay-1" {
		t.Fatalf("%d %v", response.Code, body)
	}
	if body["created_at"] != "2026-12-07T10:00:00.123456Z" || body["cancel_reason"] != "" {
		t.Errorf("created_at %v", body["created_at"])
	}
	for _, field := range []string{"total", "currency", "updated_at", "shipment_id", "tracking_number", "items"} {
		if _, ok := body[field]; !ok {
			t.Errorf("no %s", field)
		}
	}
	if f.do(t, "GET", "/orders/"+id+"/", nil).Code != 200 {
		t.Error("a trailing slash is not accepted")
	}
}

func TestUnknownOrMalformedIdIs404JSON(t *testing.T) {
	f := newFixture(t)
	for _, id := range []string{uuid.NewString(), "not-a-uuid", "123", strings.Repeat("x", 300), "a.b"} {
		response := f.do(t, "GET", "/orders/"+id, nil)
		if _, ok := decode(t, response)["detail"]; response.Code != 404 || !ok {
			t.Errorf("%s: %d %s", id, response.Code, response.Body)
		}
	}
}

func TestListingOrdersTakesAStaffUser(t *testing.T) {
	f := newFixture(t)
	f.insertOrder(t, "ann@example.com", "PAID", time.Now())
	testdb.CreateUser(t, f.pool, "test-customer", djangoHash, false, true)
	testdb.CreateUser(t, f.pool, "test-retired", djangoHash, true, false)
	for name, headers := range map[string][]string{
		"anonymous":      nil,
		"customer":       {"Authorization", basic("test-customer", "s3cret pass")},
		"wrong password": {"Authorization", basic("test-customer", "guess")},
		"inactive staff": {"Authorization", basic("test-retired", "s3cret pass")},
		"unknown user":   {"Authorization", basic("test-nobody", "s3cret pass")},
	} {
		for _, query := range []string{"", "?customer_email=ann@example.com", "?status=PAID"} {
			response := f.do(t, "GET", "/orders"+query, nil, headers...)
			if response.Code != http.StatusForbidden || strings.Contains(response.Body.String(), "ann@example.com") {
				t.Errorf("%s %q: %d %s", name, query, response.Code, response.Body)
			}
		}
	}
	anonymous := decode(t, f.do(t, "GET", "/orders", nil))["detail"].(string)
	if !strings.Contains(anonymous, "staff") {
		t.Errorf("detail %q", anonymous)
	}
	if detail := decode(t, f.do(t, "GET", "/orders", nil, "Authorization", basic("test-customer", "guess")))["detail"]; detail != "Invalid username/password." {
		t.Errorf("detail %q", detail)
	}
}

func (f *fixture) staff(t *testing.T) []string {
	testdb.CreateUser(t, f.pool, "test-staff", djangoHash, true, true)
	return []string{"Authorization", basic("test-staff", "s3cret pass")}
}

func TestTheListFiltersByStatusAndEmail(t *testing.T) {
	f := newFixture(t)
	staff := f.staff(t)
	now := time.Now()
	f.insertOrder(t, "ann@example.com", "PAID", now)
	f.insertOrder(t, "ann@example.com", "PENDING", now)
	f.insertOrder(t, "bob@example.com", "PAID", now)
	count := func(query string) any {
		response := f.do(t, "GET", "/orders"+query, nil, staff...)
		if response.Code != 200 {
			t.Fatalf("%s: %d %s", query, response.Code, response.Body)
		}
		return decode(t, response)["count"]
	}
	for query, want := range map[string]float64{
		"": 3, "?status=PAID": 2, "?customer_email=ANN@example.com": 2, "?status=PAID&customer_email=ann@example.com": 1,
		"?status=&customer_email=": 3,
	} {
		if got := count(query); got != want {
			t.Errorf("%s: %v, want %v", query, got, want)
		}
	}
	if response := f.do(t, "GET", "/orders/", nil, staff...); response.Code != 200 {
		t.Errorf("trailing slash: %d", response.Code)
	}
	for _, value := range []string{"SHIPPED", "paid", strings.Repeat("x", 1000)} {
		response := f.do(t, "GET", "/orders?status="+value, nil, staff...)
		if _, named := decode(t, response)["status"]; response.Code != 400 || !named {
			t.Errorf("status=%s: %d %s", value, response.Code, response.Body)
		}
	}
}

func TestTheListIsPaginatedNewestFirst(t *testing.T) {
	f := newFixture(t)
	staff := f.staff(t)
	start := time.Now().Add(-time.Hour)
	for i := range 25 {
		f.insertOrder(t, fmt.Sprintf("c%d@example.com", i), "PENDING", start.Add(time.Duration(i)*time.Minute))
	}
	first := decode(t, f.do(t, "GET", "/orders", nil, append(staff, "Host", "shop.test")...))
	results := first["results"].([]any)
	if first["count"] != 25.0 || len(results) != 20 || first["previous"] != nil {
		t.Fatalf("first page: count %v, %d results", first["count"], len(results))
	}
	if results[0].(map[string]any)["customer_email"] != "c24@example.com" {
		t.Errorf("not newest first: %v", results[0])
	}
	next, err := url.Parse(first["next"].(string))
	if err != nil || next.Query().Get("page") != "2" {
		t.Fatalf("next = %v", first["next"])
	}
	second := decode(t, f.do(t, "GET", next.RequestURI(), nil, staff...))
	if len(second["results"].([]any)) != 5 || second["next"] != nil || second["previous"] == nil {
		t.Errorf("second page: %v", second)
	}
	if f.do(t, "GET", "/orders?page=3", nil, staff...).Code != 404 {
		t.Error("a page past the end is not 404")
	}
	if got := decode(t, f.do(t, "GET", "/orders?page_size=500", nil, staff...))["results"].([]any); len(got) != 25 {
		t.Errorf("page_size=500 gave %d", len(got))
	}
}
