package api

import (
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"hash"
	"net/http"
	"strconv"
	"strings"

	"musiccorp/order-go/internal/store"
)

// The order API's authentication is DRF's default pair (musiccorp_common/settings.py): a Django
// session (session.go), then HTTP basic auth of a Django user against auth_user with Django's
// PBKDF2 hashes. As in DRF, whose first authenticator (session) sends no challenge, every
// authentication failure is a 403 with the reason in detail.

// principal is who made the request: nil for anonymous.
type principal struct {
	username string
	isStaff  bool
}

type authError struct{ message string }

func (e *authError) Error() string { return e.message }

// authenticate returns the session's or the basic-auth user (nil without either) or an *authError.
func (s *Server) authenticate(r *http.Request) (*principal, error) {
	if user, err := s.sessionUser(r); user != nil || err != nil {
		return user, err
	}
	parts := strings.Fields(r.Header.Get("Authorization"))
	if len(parts) == 0 || strings.ToLower(parts[0]) != "basic" {
		return nil, nil
	}
	switch {
	case len(parts) == 1:
		return nil, &authError{"Invalid basic header. No credentials provided."}
	case len(parts) > 2:
		return nil, &authError{"Invalid basic header. Credentials string should not contain spaces."}
	}
	decoded, err := base64.StdEncoding.DecodeString(parts[1])
	if err != nil {
		return nil, &authError{"Invalid basic header. Credentials not correctly base64 encoded."}
	}
	username, password, _ := strings.Cut(string(decoded), ":")
	user, err := store.UserByUsername(r.Context(), s.Pool, username)
	if errors.Is(err, store.ErrNotFound) {
		return nil, &authError{"Invalid username/password."}
	}
	if err != nil {
		return nil, err
	}
	// Django's ModelBackend refuses an inactive user like a wrong password.
	if !user.IsActive || !checkPassword(password, user.Password) {
		return nil, &authError{"Invalid username/password."}
	}
	return &principal{username: user.Username, isStaff: user.IsStaff}, nil
}

// checkPassword verifies a password against Django's "pbkdf2_sha256$<iterations>$<salt>$<hash>"
// (the default hasher; pbkdf2_sha1 too). Other hashers are refused.
func checkPassword(password, encoded string) bool {
	parts := strings.Split(encoded, "$")
	if len(parts) != 4 {
		return false
	}
	var newHash func() hash.Hash
	switch parts[0] {
	case "pbkdf2_sha256":
		newHash = sha256.New
	case "pbkdf2_sha1":
		newHash = sha1.New
	default:
		return false
	}
	iterations, err := strconv.Atoi(parts[1])
	if err != nil || iterations < 1 {
		return false
	}
	want, err := base64.StdEncoding.DecodeString(parts[3])
	if err != nil {
		return false
	}
	got, err := pbkdf2.Key(newHash, password, []byte(parts[2]), iterations, len(want))
	return err == nil && subtle.ConstantTimeCompare(got, want) == 1
}
