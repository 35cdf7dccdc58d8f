// Package testdb gives tests the real PostgreSQL database that ci/test-order-go prepares: a
// fresh database migrated by the Django order project (the schema's owner), named by
// ORDER_GO_TEST_DATABASE_URL. Without it a test is skipped on a developer's machine and fails
// in CI (CI=true), where a missing database is a broken setup, not a reason to pass.
package testdb

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// EnvURL names the variable holding the test database's URL.
const EnvURL = "ORDER_GO_TEST_DATABASE_URL"

// URL is the test database's URL; it skips (fails in CI) when none is configured.
func URL(t testing.TB) string {
	t.Helper()
	url := os.Getenv(EnvURL)
	if url == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not set: run the Go tests through ci/test-order-go", EnvURL)
		}
		t.Skipf("%s is not set (ci/test-order-go sets it)", EnvURL)
	}
	return url
}

// Pool connects to the test database, emptied of orders, outbox rows and test users; it is
// closed when the test ends.
func Pool(t testing.TB) *pgxpool.Pool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	pool, err := pgxpool.New(ctx, URL(t))
	if err != nil {
		t.Fatalf("connecting to the test database: %v", err)
	}
	t.Cleanup(pool.Close)
	Reset(t, pool)
	return pool
}

// Reset empties the tables the order service writes.
func Reset(t testing.TB, pool *pgxpool.Pool) {
	t.Helper()
	_, err := pool.Exec(context.Background(), `TRUNCATE orders_orderitem, orders_order,
		musiccorp_common_outboxevent, musiccorp_common_processedevent`)
	if err != nil {
		t.Fatalf("emptying the test database: %v", err)
	}
	if _, err := pool.Exec(context.Background(), "DELETE FROM auth_user WHERE username LIKE 'test-%'"); err != nil {
		t.Fatalf("removing test users: %v", err)
	}
}

// CreateUser adds a Django user whose password hash Django itself made; username must start
// with "test-" so Reset removes it.
func CreateUser(t testing.TB, pool *pgxpool.Pool, username, passwordHash string, staff, active bool) {
	t.Helper()
	_, err := pool.Exec(context.Background(), `INSERT INTO auth_user (password, last_login, is_superuser, username,
		first_name, last_name, email, is_staff, is_active, date_joined)
		VALUES ($1, NULL, false, $2, '', '', '', $3, $4, now())`, passwordHash, username, staff, active)
	if err != nil {
		t.Fatalf("creating user %s: %v", username, err)
	}
}
