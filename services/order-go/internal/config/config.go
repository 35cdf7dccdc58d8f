// Package config reads order-go's settings from the environment, in one place.
//
// The names are the Django order service's (services/order/config/settings.py and
// musiccorp_common/settings.py), so one environment configures either implementation;
// only the listening address is order-go's own (ORDER_GO_PORT, ORDER_GO_BIND_HOST).
package config

import (
	"fmt"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"
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
	r := reader{}
	cfg := Config{
		BindHost:         r.str("ORDER_GO_BIND_HOST", "0.0.0.0"),
		Port:             r.integer("ORDER_GO_PORT", 5006),
		DatabaseURL:      r.str("DATABASE_URL", ""),
		CatalogURL:       strings.TrimRight(r.str("CATALOG_URL", "http://127.0.0.1:5001"), "/"),
		InventoryURL:     strings.TrimRight(r.str("INVENTORY_URL", "http://127.0.0.1:5002"), "/"),
		ServiceToken:     r.str("SERVICE_TOKEN", ""),
		SecretKey:        r.str("DJANGO_SECRET_KEY", ""),
		PeerBudget:       r.seconds("ORDER_PEER_BUDGET_SECONDS", 10),
		ReleaseBudget:    r.seconds("ORDER_RELEASE_BUDGET_SECONDS", 5),
		ServiceName:      "order",
		TrustedProxies:   r.prefixes("DJANGO_TRUSTED_PROXIES", "127.0.0.1/32,::1/128"),
		LogLevel:         strings.ToUpper(r.str("LOG_LEVEL", "INFO")),
		ShutdownGrace:    r.seconds("ORDER_GO_SHUTDOWN_SECONDS", 20),
		DatabaseMaxConns: int32(r.integer("ORDER_GO_DATABASE_MAX_CONNS", 10)),
	}
	if cfg.DatabaseURL == "" {
		r.errs = append(r.errs, "DATABASE_URL is required but not set")
	}
	if len(r.errs) > 0 {
		return Config{}, fmt.Errorf("configuration: %s", strings.Join(r.errs, "; "))
	}
	return cfg, nil
}

// Addr is the host:port to listen on.
func (c Config) Addr() string {
	return fmt.Sprintf("%s:%d", c.BindHost, c.Port)
}

type reader struct{ errs []string }

func (r *reader) str(name, fallback string) string {
	if value := os.Getenv(name); value != "" {
		return value
	}
	return fallback
}

func (r *reader) integer(name string, fallback int) int {
	value := os.Getenv(name)
	if value == "" {
		return fallback
	}
	n, err := strconv.Atoi(value)
	if err != nil {
		r.errs = append(r.errs, fmt.Sprintf("%s=%q is not an integer", name, value))
	}
	return n
}

func (r *reader) seconds(name string, fallback float64) time.Duration {
	value, seconds := os.Getenv(name), fallback
	if value != "" {
		parsed, err := strconv.ParseFloat(value, 64)
		if err != nil || parsed < 0 {
			r.errs = append(r.errs, fmt.Sprintf("%s=%q is not a number of seconds", name, value))
		}
		seconds = parsed
	}
	return time.Duration(seconds * float64(time.Second))
}

func (r *reader) prefixes(name, fallback string) []netip.Prefix {
	var out []netip.Prefix
	for _, item := range strings.Split(r.str(name, fallback), ",") {
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
			r.errs = append(r.errs, fmt.Sprintf("%s: %q is not an address or network", name, item))
			continue
		}
		out = append(out, prefix.Masked())
	}
	return out
}
