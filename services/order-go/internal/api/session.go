package api

import (
	"bytes"
	"compress/zlib"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
)

// Django sessions (the db engine): the staff user logged into the order admin may read the
// staff-only list in the same browser, as with DRF's SessionAuthentication. The cookie holds
// the session key; django_session holds the data, signed with DJANGO_SECRET_KEY
// (django.core.signing, salt "django.contrib.sessions.SessionStore"), and the user's entry is
// only valid while its _auth_user_hash matches the user's current password hash
// (AbstractBaseUser.get_session_auth_hash). Only safe methods use it: DRF would demand a CSRF
// token for a write, and placing an order needs no user at all.

// SessionCookie is the order service's session cookie name (musiccorp_common.settings.service_identity).
const SessionCookie = "order_sessionid"

// sessionBackends are the settings' AUTHENTICATION_BACKENDS a session may name.
var sessionBackends = map[string]bool{
	"axes.backends.AxesStandaloneBackend":       true,
	"django.contrib.auth.backends.ModelBackend": true,
}

// sessionUser returns the active user of a valid Django session cookie, nil otherwise.
func (s *Server) sessionUser(r *http.Request) (*principal, error) {
	cookie, err := r.Cookie(SessionCookie)
	if err != nil || s.Config.SecretKey == "" || !isSafe(r.Method) {
		return nil, nil
	}
	var data string
	err = s.Pool.QueryRow(r.Context(), "SELECT session_data FROM django_session WHERE session_key = $1 AND expire_date > now()",
		cookie.Value).Scan(&data)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	session, ok := decodeSession(data, s.Config.SecretKey)
	if !ok || !sessionBackends[session.Backend] {
		return nil, nil
	}
	id, err := strconv.ParseInt(session.UserID, 10, 64)
	if err != nil {
		return nil, nil
	}
	var username, password string
	var active, staff bool
	err = s.Pool.QueryRow(r.Context(), "SELECT username, password, is_active, is_staff FROM auth_user WHERE id = $1", id).
		Scan(&username, &password, &active, &staff)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if !active || !hmac.Equal([]byte(session.Hash), []byte(sessionAuthHash(password, s.Config.SecretKey))) {
		return nil, nil
	}
	return &principal{username: username, isStaff: staff}, nil
}

func isSafe(method string) bool {
	return method == http.MethodGet || method == http.MethodHead || method == http.MethodOptions
}

type sessionData struct {
	UserID  string `json:"_auth_user_id"`
	Backend string `json:"_auth_user_backend"`
	Hash    string `json:"_auth_user_hash"`
}

// decodeSession is signing.loads(data, salt="django.contrib.sessions.SessionStore") with
// the JSON serializer: "<base64 payload, '.' first when compressed>:<timestamp>:<signature>".
func decodeSession(data, secret string) (sessionData, bool) {
	var session sessionData
	cut := strings.LastIndex(data, ":")
	if cut < 0 {
		return session, false
	}
	signed, signature := data[:cut], data[cut+1:]
	want := base64.RawURLEncoding.EncodeToString(saltedHMAC("django.contrib.sessions.SessionStoresigner", signed, secret))
	if !hmac.Equal([]byte(signature), []byte(want)) {
		return session, false
	}
	payload := signed[:max(strings.LastIndex(signed, ":"), 0)]
	compressed := strings.HasPrefix(payload, ".")
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(payload, "."))
	if err != nil {
		return session, false
	}
	if compressed {
		reader, err := zlib.NewReader(bytes.NewReader(raw))
		if err != nil {
			return session, false
		}
		if raw, err = io.ReadAll(io.LimitReader(reader, 1<<20)); err != nil {
			return session, false
		}
	}
	return session, json.Unmarshal(raw, &session) == nil
}

// saltedHMAC is django.utils.crypto.salted_hmac with sha256.
func saltedHMAC(salt, value, secret string) []byte {
	key := sha256.Sum256([]byte(salt + secret))
	mac := hmac.New(sha256.New, key[:])
	mac.Write([]byte(value))
	return mac.Sum(nil)
}

// sessionAuthHash is AbstractBaseUser.get_session_auth_hash(): a password change ends sessions.
func sessionAuthHash(passwordHash, secret string) string {
	return hex.EncodeToString(saltedHMAC("django.contrib.auth.models.AbstractBaseUser.get_session_auth_hash", passwordHash, secret))
}
