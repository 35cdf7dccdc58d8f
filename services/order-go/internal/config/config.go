// Package config reads order-go's settings from the environment, in one place.
//
// The names are the Django order service's (services/order/config/settings.py and
// musiccorp_common/settings.py), so one environment configures either implementation;
// only the listening address is order-go's own (ORDER_GO_PORT, ORDER_GO_BIND_HOST).
package config

import (
	"fmt"
	"net/netip"
	"strings"
	"time"

	"musiccorp/order-go/internal/env"
)

// Config is every setting order-go reads.
type Config struct {
	BindHost string // ORDER_GO_BIND_HOST (0.0.0.0): the address to listen on
	Port     int    // ORDER_GO_PORT (5006)

	DatabaseURL string // DATABASE_URL: the order database, schema owned by the Django migrations

	CatalogURL   string // CATALOG_URL: base URL of catalog (prices)
	InventoryURL string // INVENTORY_URL: base URL of inventory (reservations)
	ServiceToken string // SERVICE_TOKEN: order's credential, sent to its peers
	SecretKey    string // DJANGO_SECRET_KEY: verifies the order admin's session (optional)

	// ORDER_PEER_BUDGET_SECONDS (10): all calls to peers of one placement, retries included;
	// ORDER_RELEASE_BUDGET_SECONDS (5): the release after a failure.
	PeerBudget    time.Duration
	ReleaseBudget time.Duration

	ServiceName      string         // the events' producer: always "order" (order-go is the order service)
	TrustedProxies   []netip.Prefix // DJANGO_TRUSTED_PROXIES: who may set X-Forwarded-*
	LogLevel         string         // LOG_LEVEL (INFO)
	ShutdownGrace    time.Duration  // ORDER_GO_SHUTDOWN_SECONDS (20): in-flight requests' time after SIGTERM
	DatabaseMaxConns int32          // ORDER_GO_DATABASE_MAX_CONNS (10)
}

// Load reads the environment; an error names the variable that is wrong or missing.
func Load() (Config, error) {
	r := env.Reader{}
	cfg := Config{
		BindHost:         r.Str("ORDER_GO_BIND_HOST", "0.0.0.0"),
		Port:             r.Int("ORDER_GO_PORT", 5006),
		DatabaseURL:      r.Str("DATABASE_URL", ""),
		CatalogURL:       strings.TrimRight(r.Str("CATALOG_URL", "http://127.0.0.1:5001"), "/"),
		InventoryURL:     strings.TrimRight(r.Str("INVENTORY_URL", "http://127.0.0.1:5002"), "/"),
		ServiceToken:     r.Str("SERVICE_TOKEN", ""),
		SecretKey:        r.Str("DJANGO_SECRET_KEY", ""),
		PeerBudget:       r.Seconds("ORDER_PEER_BUDGET_SECONDS", 10),
		ReleaseBudget:    r.Seconds("ORDER_RELEASE_BUDGET_SECONDS", 5),
		ServiceName:      "order",
		TrustedProxies:   prefixes(&r, "DJANGO_TRUSTED_PROXIES", "127.0.0.1/32,::1/128"),
		LogLevel:         strings.ToUpper(r.Str("LOG_LEVEL", "INFO")),
		ShutdownGrace:    r.Seconds("ORDER_GO_SHUTDOWN_SECONDS", 20),
		DatabaseMaxConns: int32(r.Int("ORDER_GO_DATABASE_MAX_CONNS", 10)),
	}
	if cfg.DatabaseURL == "" {
		r.Fail("DATABASE_URL is required but not set")
	}
	if err := r.Err(); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

// Addr is the host:port to listen on.
func (c Config) Addr() string {
	return fmt.Sprintf("%s:%d", c.BindHost, c.Port)
}

// prefixes reads a comma-separated list of addresses and networks.
func prefixes(r *env.Reader, name, fallback string) []netip.Prefix {
	var out []netip.Prefix
	for _, item := range strings.Split(r.Str(name, fallback), ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		if !strings.Contains(item, "/") {
			if addr, err := netip.ParseAddr(item); err == nil {
				out = append(out, netip.PrefixFrom(addr, addr.BitLen()))
				continue
			}
		}
		prefix, err := netip.ParsePrefix(item)
		if err != nil {
			r.Fail(fmt.Sprintf("%s: %q is not an address or network", name, item))
			continue
		}
		out = append(out, prefix.Masked())
	}
	return out
}
