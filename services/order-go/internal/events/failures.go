package events

import (
	"context"
	"errors"
	"io"
	"net"
	"reflect"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Which handler failures are transient (wait and retry, never dead-letter) and which are not
// (musiccorp_common/events/failures.py, docs/decisions/0006-transient-and-permanent-failures.md).
// Transient means the world is temporarily unable, not that the message is wrong: the
// database or Kafka is unreachable, a statement or lock timeout fired, or PostgreSQL aborted
// the transaction to break a serialization conflict or a deadlock. Everything else (an
// invalid event, an unknown order, a bug) is permanent: retried EVENTS_MAX_ATTEMPTS times,
// then dead-lettered.

// transientSQLStates: the SQLSTATE classes psycopg raises as OperationalError (connection
// exception, transaction rollback, insufficient resources, program limit exceeded, object not
// in prerequisite state (lock_not_available), operator intervention (query_canceled,
// admin_shutdown), system error, foreign data wrapper error).
var transientSQLStates = []string{"08", "40", "53", "54", "55", "57", "58", "HV"}

// IsTransient is true when err is a transient failure (see above).
func IsTransient(err error) bool {
	if err == nil {
		return false
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		for _, class := range transientSQLStates {
			if strings.HasPrefix(pgErr.Code, class) {
				return true
			}
		}
		return false
	}
	var connectErr *pgconn.ConnectError
	var netErr net.Error
	var kafkaErr *kerr.Error
	switch {
	case errors.As(err, &connectErr), errors.As(err, &netErr), pgconn.Timeout(err), pgconn.SafeToRetry(err):
		return true
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed),
		errors.Is(err, context.DeadlineExceeded):
		return true
	case errors.As(err, &kafkaErr):
		return kafkaErr.Retriable || kafkaErr == kerr.RequestTimedOut || kafkaErr == kerr.NotCoordinator ||
			kafkaErr == kerr.CoordinatorNotAvailable || kafkaErr == kerr.LeaderNotAvailable
	case errors.Is(err, kgo.ErrRecordTimeout), errors.Is(err, kgo.ErrRecordRetries):
		return true
	}
	// pgx's "conn closed" / "conn busy" and a pool that cannot connect carry no type of their own.
	msg := err.Error()
	return strings.Contains(msg, "conn closed") || strings.Contains(msg, "failed to connect") ||
		strings.Contains(msg, "connection refused") || strings.Contains(msg, "closed pool")
}

// errorName: the error's type name, as Python's type(error).__name__ in x-dlq-error.
// Wrappers (fmt.Errorf's) are looked through to the error they wrap.
func errorName(err error) string {
	for {
		inner := errors.Unwrap(err)
		if inner == nil {
			break
		}
		err = inner
	}
	t := reflect.TypeOf(err)
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil || t.Name() == "" {
		return "Error"
	}
	return t.Name()
}
