package api

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"

	"github.com/jackc/pgx/v5/pgconn"
)

// DatabaseRetryAfter is the Retry-After of a 503 for an unreachable database (musiccorp_common.errors).
const DatabaseRetryAfter = "5"

func writeJSON(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

func detail(w http.ResponseWriter, status int, message string) {
	writeJSON(w, status, map[string]string{"detail": message})
}

// failure answers an unexpected error as the Django service does: the database's refusal of a
// value is 400, an unreachable database 503 with Retry-After, anything else 500.
func failure(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	var pgErr *pgconn.PgError
	switch {
	case errors.As(err, &pgErr) && pgErr.Code[:2] == "22":
		log.InfoContext(r.Context(), "rejected input the database cannot store", "error", err.Error())
		detail(w, http.StatusBadRequest, "A value in the request is out of range or malformed.")
	case databaseUnreachable(err):
		log.WarnContext(r.Context(), "database unavailable, answering 503", "error", err.Error())
		w.Header().Set("Retry-After", DatabaseRetryAfter)
		detail(w, http.StatusServiceUnavailable, "The service's database is temporarily unavailable; retry shortly.")
	default:
		log.ErrorContext(r.Context(), "request failed", "error", err.Error())
		detail(w, http.StatusInternalServerError, "Internal server error.")
	}
}

// databaseUnreachable: the error did not come from a statement PostgreSQL ran (no PgError),
// so the connection failed: a retry may succeed (Django's OperationalError/InterfaceError).
func databaseUnreachable(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		// admin_shutdown, crash_shutdown, cannot_connect_now, too_many_connections.
		return pgErr.Code == "57P01" || pgErr.Code == "57P02" || pgErr.Code == "57P03" || pgErr.Code == "53300"
	}
	var connectErr *pgconn.ConnectError
	var netErr net.Error
	return pgconn.SafeToRetry(err) || pgconn.Timeout(err) || errors.As(err, &connectErr) || errors.As(err, &netErr) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF)
}
