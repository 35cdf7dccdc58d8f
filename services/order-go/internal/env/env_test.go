package env

import (
	"strings"
	"testing"
	"time"
)

func TestUnsetTakesTheFallbackAndValuesAreParsed(t *testing.T) {
	t.Setenv("MC_TEST_PORT", " 5006 ")
	t.Setenv("MC_TEST_COALESCE_MS", "2.5")
	r := Reader{}
	if got := r.Str("MC_TEST_UNSET", "x"); got != "x" {
		t.Errorf("Str = %q", got)
	}
	if got := r.Int("MC_TEST_PORT", 1); got != 5006 {
		t.Errorf("Int = %d", got)
	}
	if got := r.Millis("MC_TEST_COALESCE_MS", 5); got != 2500*time.Microsecond {
		t.Errorf("Millis = %v", got)
	}
	if got := r.Seconds("MC_TEST_UNSET", 0.5); got != 500*time.Millisecond {
		t.Errorf("Seconds = %v", got)
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
}

func TestEveryMalformedValueIsNamed(t *testing.T) {
	t.Setenv("MC_TEST_ATTEMPTS", "three")
	t.Setenv("MC_TEST_LEASE_SECONDS", "-1")
	r := Reader{}
	r.Int("MC_TEST_ATTEMPTS", 3)
	r.Seconds("MC_TEST_LEASE_SECONDS", 60)
	r.Fail("DATABASE_URL is required but not set")
	err := r.Err()
	if err == nil {
		t.Fatal("accepted")
	}
	for _, want := range []string{`MC_TEST_ATTEMPTS="three" is not an integer`, `MC_TEST_LEASE_SECONDS="-1" is not a number of seconds`, "DATABASE_URL"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q does not name %s", err, want)
		}
	}
}
