// Package peers is order's HTTP client of catalog (prices) and inventory (reservations), the
// Go counterpart of services/order/orders/clients.py with the same calls, retries and errors:
//
//   - one GET /albums?sku=...&page_size=n prices every line, one POST /reservations reserves
//     them all or none, one POST /reservations/release gives them back (issue 10);
//   - connect timeout 2 s, 5 s for the answer; up to 3 attempts with 0.2 s, 0.4 s backoff on
//     connection errors, timeouts and 502/503/504 (every call is idempotent per order id);
//   - the caller's context deadline bounds all attempts together (ORDER_PEER_BUDGET_SECONDS):
//     no attempt or retry starts past it, and a call out of time is Unavailable;
//   - every call carries order's credential, Authorization: Bearer SERVICE_TOKEN.
package peers

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// Attempts, Backoff and the timeouts are clients.py's.
const (
	Attempts       = 3
	Backoff        = 200 * time.Millisecond
	ConnectTimeout = 2 * time.Second
	ReadTimeout    = 5 * time.Second
)

// Unavailable: the peer is down, timed out, or answered what it should not (5xx, bad JSON).
type Unavailable struct{ Service, Reason string }

func (e *Unavailable) Error() string {
	return fmt.Sprintf("%s is temporarily unavailable (%s)", e.Service, e.Reason)
}

// UnknownSKU: catalog or inventory does not know the SKU.
type UnknownSKU struct{ Service, SKU string }

func (e *UnknownSKU) Error() string { return fmt.Sprintf("unknown SKU %s in %s", e.SKU, e.Service) }

// OutOfStock: inventory cannot reserve the quantity (409); it reserved nothing.
type OutOfStock struct{ SKU, Detail string }

func (e *OutOfStock) Error() string { return "not enough stock for " + e.SKU }

// Album is what catalog says about a SKU.
type Album struct {
	SKU, Title, Price, Currency string // Price as catalog wrote it; the caller parses it
}

// Client calls one peer.
type Client struct {
	Service string
	BaseURL string
	Token   string
	HTTP    *http.Client
	Log     *slog.Logger
}

// NewHTTPClient is the transport both peers share: bounded connect and answer times.
func NewHTTPClient() *http.Client {
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.DialContext = (&net.Dialer{Timeout: ConnectTimeout, KeepAlive: 30 * time.Second}).DialContext
	transport.ResponseHeaderTimeout = ReadTimeout
	transport.MaxIdleConnsPerHost = 32
	return &http.Client{Transport: transport, Timeout: ConnectTimeout + ReadTimeout}
}

var currency = regexp.MustCompile(`^[A-Z]{3}$`)

// AlbumsBySKU prices every SKU in one request; *UnknownSKU names the first SKU catalog lacks.
func (c *Client) AlbumsBySKU(ctx context.Context, skus []string) (map[string]Album, error) {
	query := url.Values{"sku": skus, "page_size": {strconv.Itoa(max(len(skus), 1))}}
	status, body, err := c.call(ctx, http.MethodGet, "/albums?"+query.Encode(), nil)
	if err != nil {
		return nil, err
	}
	if status < 200 || status >= 300 {
		return nil, &Unavailable{c.Service, fmt.Sprintf("HTTP %d", status)}
	}
	var page struct {
		Results []map[string]any `json:"results"`
	}
	decoder := json.NewDecoder(bytes.NewReader(body))
	decoder.UseNumber() // a price 14.99 stays "14.99", as Decimal(str(...)) reads it
	if err := decoder.Decode(&page); err != nil || page.Results == nil {
		return nil, &Unavailable{c.Service, "malformed album list"}
	}
	wanted := map[string]bool{}
	for _, sku := range skus {
		wanted[sku] = true
	}
	found := map[string]Album{}
	for _, result := range page.Results {
		sku, _ := result["sku"].(string)
		if !wanted[sku] {
			continue
		}
		album, err := c.album(sku, result)
		if err != nil {
			return nil, err
		}
		found[sku] = album
	}
	for _, sku := range skus {
		if _, ok := found[sku]; !ok {
			return nil, &UnknownSKU{c.Service, sku}
		}
	}
	return found, nil
}

func (c *Client) album(sku string, body map[string]any) (Album, error) {
	title, okTitle := body["title"].(string)
	price := ""
	switch value := body["price"].(type) {
	case string:
		price = value
	case json.Number:
		price = value.String()
	case float64:
		price = strconv.FormatFloat(value, 'f', -1, 64)
	}
	cur, _ := body["currency"].(string)
	if !okTitle || price == "" || !currency.MatchString(cur) {
		return Album{}, &Unavailable{c.Service, "malformed album price/currency for " + sku}
	}
	return Album{SKU: sku, Title: title, Price: price, Currency: cur}, nil
}

// Line is one SKU and quantity of a reservation.
type Line struct {
	SKU      string `json:"sku"`
	Quantity int    `json:"quantity"`
}

// ReserveOrder reserves every line for the order, or none: *OutOfStock or *UnknownSKU naming the
// line, *Unavailable (then the lines may be held: release them).
func (c *Client) ReserveOrder(ctx context.Context, orderID string, lines []Line) error {
	status, body, err := c.call(ctx, http.MethodPost, "/reservations", map[string]any{"order_id": orderID, "lines": lines})
	if err != nil {
		return err
	}
	if status == http.StatusNotFound || status == http.StatusConflict {
		var refusal struct{ SKU, Detail any }
		_ = json.Unmarshal(body, &refusal)
		sku := text(refusal.SKU)
		if sku == "" {
			return &Unavailable{c.Service, fmt.Sprintf("HTTP %d without the SKU", status)}
		}
		if status == http.StatusNotFound {
			return &UnknownSKU{c.Service, sku}
		}
		detail := text(refusal.Detail)
		if len(detail) > 200 {
			detail = detail[:200]
		}
		return &OutOfStock{SKU: sku, Detail: detail}
	}
	return ensureSuccess(c.Service, status)
}

// ReleaseOrder releases the order's reservations of skus in one call (idempotent, final).
func (c *Client) ReleaseOrder(ctx context.Context, orderID string, skus []string) error {
	status, _, err := c.call(ctx, http.MethodPost, "/reservations/release", map[string]any{"order_id": orderID, "skus": skus})
	if err != nil {
		return err
	}
	return ensureSuccess(c.Service, status)
}

func text(value any) string {
	switch v := value.(type) {
	case nil:
		return ""
	case string:
		return v
	default:
		encoded, _ := json.Marshal(v)
		return string(encoded)
	}
}

func ensureSuccess(service string, status int) error {
	if status < 200 || status >= 300 {
		return &Unavailable{service, fmt.Sprintf("HTTP %d", status)}
	}
	return nil
}

// call makes the request, retried while attempts and time are left; it returns the last answer.
func (c *Client) call(ctx context.Context, method, path string, payload any) (int, []byte, error) {
	var encoded []byte
	if payload != nil {
		var err error
		if encoded, err = json.Marshal(payload); err != nil {
			return 0, nil, err
		}
	}
	for attempt := 1; ; attempt++ {
		if ctx.Err() != nil {
			return 0, nil, &Unavailable{c.Service, "deadline exceeded"}
		}
		status, body, err := c.attempt(ctx, method, path, encoded)
		retryable := err != nil || status == 502 || status == 503 || status == 504
		if !retryable {
			return status, body, nil
		}
		if !pauseBeforeRetry(ctx, attempt) {
			if err != nil {
				return 0, nil, &Unavailable{c.Service, reason(err)}
			}
			return status, body, nil
		}
		c.Log.Info("peer call failed; retrying", "service", c.Service, "method", method, "path", path,
			"status", status, "error", fmt.Sprint(err))
	}
}

func (c *Client) attempt(ctx context.Context, method, path string, payload []byte) (int, []byte, error) {
	var body io.Reader
	if payload != nil {
		body = bytes.NewReader(payload)
	}
	request, err := http.NewRequestWithContext(ctx, method, c.BaseURL+path, body)
	if err != nil {
		return 0, nil, err
	}
	request.Header.Set("Accept", "application/json")
	if payload != nil {
		request.Header.Set("Content-Type", "application/json")
	}
	if c.Token != "" {
		request.Header.Set("Authorization", "Bearer "+c.Token)
	}
	if id := CorrelationID(ctx); id != "" {
		request.Header.Set("X-Correlation-ID", id)
	}
	// A client span per attempt, its context in the request's traceparent (as the requests
	// instrumentation of the Django service does); without a tracer provider only the caller's
	// traceparent is passed on.
	ctx, span := tracer.Start(ctx, method, trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(
		attribute.String("http.request.method", method),
		attribute.String("url.full", request.URL.String()),
		attribute.String("peer.service", c.Service),
	))
	defer span.End()
	otel.GetTextMapPropagator().Inject(ctx, propagation.HeaderCarrier(request.Header))
	response, err := c.HTTP.Do(request)
	if err != nil {
		span.SetStatus(codes.Error, err.Error())
		return 0, nil, err
	}
	span.SetAttributes(attribute.Int("http.response.status_code", response.StatusCode))
	if response.StatusCode >= 500 {
		span.SetStatus(codes.Error, response.Status)
	}
	defer response.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(response.Body, 4<<20))
	if err != nil {
		return 0, nil, err
	}
	return response.StatusCode, answer, nil
}

var tracer = otel.Tracer("musiccorp.order-go.peers")

// pauseBeforeRetry sleeps the backoff and reports whether another attempt may start.
func pauseBeforeRetry(ctx context.Context, attempt int) bool {
	if attempt >= Attempts {
		return false
	}
	pause := Backoff << (attempt - 1)
	if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) <= pause {
		return false
	}
	select {
	case <-time.After(pause):
		return true
	case <-ctx.Done():
		return false
	}
}

func reason(err error) string {
	var netErr net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return "deadline exceeded"
	case errors.As(err, &netErr) && netErr.Timeout():
		return "timeout"
	default:
		return "connection error"
	}
}

type correlationKey struct{}

// WithCorrelationID makes calls made with ctx carry the request's correlation id.
func WithCorrelationID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, correlationKey{}, id)
}

// CorrelationID is the id WithCorrelationID stored, "" without one.
func CorrelationID(ctx context.Context) string {
	id, _ := ctx.Value(correlationKey{}).(string)
	return id
}
