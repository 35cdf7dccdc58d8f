package peers

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

// Answers a peer should not give are Unavailable (503 for the client), never a crash or a 500.

func client(t *testing.T, handler http.HandlerFunc) (*Client, *atomic.Int32) {
	t.Helper()
	var calls atomic.Int32
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		handler(w, r)
	}))
	t.Cleanup(server.Close)
	return &Client{Service: "catalog", BaseURL: server.URL, Token: "tok", HTTP: NewHTTPClient(),
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))}, &calls
}

func TestMalformedAnswersAreUnavailable(t *testing.T) {
	for name, body := range map[string]string{
		"not JSON":         `<html>`,
		"no results":       `{"count": 1}`,
		"price not number": `{"results": [{"sku": "CD001", "title": "x", "price": null, "currency": "EUR"}]}`,
		"bad currency":     `{"results": [{"sku": "CD001", "title": "x", "price": "1.00", "currency": "euro"}]}`,
	} {
		c, _ := client(t, func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(body)) })
		_, err := c.AlbumsBySKU(t.Context(), []string{"CD001"})
		var unavailable *Unavailable
		if !errors.As(err, &unavailable) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestARefusalWithoutTheSKUIsUnavailable(t *testing.T) {
	c, calls := client(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer tok" {
			t.Error("no service token")
		}
		w.WriteHeader(http.StatusConflict)
		_, _ = w.Write([]byte(`{"detail": "busy"}`))
	})
	err := c.ReserveOrder(t.Context(), "o-1", []Line{{"CD001", 1}})
	var unavailable *Unavailable
	if !errors.As(err, &unavailable) || calls.Load() != 1 {
		t.Errorf("%v after %d calls", err, calls.Load())
	}
}

func TestRetriesStopAtTheDeadline(t *testing.T) {
	c, calls := client(t, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusBadGateway) })
	ctx, cancel := context.WithTimeout(t.Context(), 250*time.Millisecond)
	defer cancel()
	started := time.Now()
	err := c.ReleaseOrder(ctx, "o-1", []string{"CD001"})
	// 0.2 s after the first attempt leaves time for a second; 0.4 s more does not fit.
	if err == nil || calls.Load() != 2 || time.Since(started) > time.Second {
		t.Errorf("%v after %d calls in %s", err, calls.Load(), time.Since(started))
	}
}
