// Package env reads order-go's settings from the environment. A Reader collects every malformed
// value, so that a refused start names all of them at once.
package env

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// Reader reads variables; an unset or empty one takes its fallback.
type Reader struct{ errs []string }

// Str is the variable's value or the fallback.
func (r *Reader) Str(name, fallback string) string {
	if value := os.Getenv(name); value != "" {
		return value
	}
	return fallback
}

// Int is the variable as an integer.
func (r *Reader) Int(name string, fallback int) int {
	value := strings.TrimSpace(os.Getenv(name))
	if value == "" {
		return fallback
	}
	n, err := strconv.Atoi(value)
	if err != nil {
		r.Fail(fmt.Sprintf("%s=%q is not an integer", name, value))
	}
	return n
}

// Seconds is the variable as a non-negative number of seconds (fractions allowed).
func (r *Reader) Seconds(name string, fallback float64) time.Duration {
	return r.duration(name, fallback, time.Second, "seconds")
}

// Millis is the variable as a non-negative number of milliseconds (fractions allowed).
func (r *Reader) Millis(name string, fallback float64) time.Duration {
	return r.duration(name, fallback, time.Millisecond, "milliseconds")
}

func (r *Reader) duration(name string, fallback float64, unit time.Duration, what string) time.Duration {
	value, amount := strings.TrimSpace(os.Getenv(name)), fallback
	if value != "" {
		parsed, err := strconv.ParseFloat(value, 64)
		if err != nil || parsed < 0 {
			r.Fail(fmt.Sprintf("%s=%q is not a number of %s", name, value, what))
		}
		amount = parsed
	}
	return time.Duration(amount * float64(unit))
}

// Fail records a problem found by the caller's own checks.
func (r *Reader) Fail(problem string) { r.errs = append(r.errs, problem) }

// Err is nil, or every problem recorded, in order.
func (r *Reader) Err() error {
	if len(r.errs) == 0 {
		return nil
	}
	return errors.New("configuration: " + strings.Join(r.errs, "; "))
}
