package api

import (
	"testing"
	"time"
)

// Made by Django itself (settings SECRET_KEY="test-only-session-secret"): SessionStore().encode()
// of a session of user 990001 whose password hash is djangoHash, compressed and not.
const (
	sessionSecret = "test-only-session-secret"
	sessionPlain  = ".eJxVzEEOgjAQheG7dG2agQ5l6tK9ZyDTztSiBhIKK-PdlYSFrr__vZcZeFvLsFVdhlHM2YQAAI05_ULk9NBpV7nzdJttmqd1GaPdE3totddZ9Hk52r-DwrV814jZC3UsrbpW0AlwIx0ER4TSA2sMSH2izOxzUkLIqorZUexar2reH6rSOaQ:1xaZNY:f9uq0nrUVpeuUbj3iCatrzmYwouTmP0KkZD6rrcZLIM"
	sessionPadded = ".eJztjksOgkAQRO8yazNpmAZ6XLr3DKRnukdQA4RPYmK8u5Cw0J0HsLbvVaWepuZlbupl0rFuxRyN9wCQmcMnCBxv2m1Urtxdehv7bh7bYDfF7nSy5170ftrdr4GGp2ZtI6ZSqGDJ1eWCToAzKcA7IpQKWINHqiIl5jJFJYSkqpgchSIvVdfRgbcbj39-jnm9AdwbyGc:1xaZNY:-fQNGPaWUybACvdspTgWGcHSKZ9fkuJAc6OH6KRMRvI"
)

func TestTheSessionDataDjangoSignedIsRead(t *testing.T) {
	for _, data := range []string{sessionPlain, sessionPadded} {
		session, ok := decodeSession(data, sessionSecret)
		if !ok || session.UserID != "990001" || session.Hash != sessionAuthHash(djangoHash, sessionSecret) {
			t.Errorf("decoded %v %+v", ok, session)
		}
		if _, ok := decodeSession(data, "another secret"); ok {
			t.Error("a session signed with another key was accepted")
		}
		if _, ok := decodeSession(data[:len(data)-2]+"xx", sessionSecret); ok {
			t.Error("a forged signature was accepted")
		}
	}
}

func (f *fixture) session(t *testing.T, key, data string) {
	t.Helper()
	_, err := f.pool.Exec(t.Context(), "INSERT INTO django_session (session_key, session_data, expire_date) VALUES ($1, $2, $3)",
		key, data, time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = f.pool.Exec(t.Context(), "DELETE FROM django_session WHERE session_key = $1", key) })
}

func TestTheOrderAdminsStaffSessionMayReadTheList(t *testing.T) {
	f := newFixture(t)
	f.server.Config.SecretKey = sessionSecret
	f.insertOrder(t, "ann@example.com", "PAID", time.Now())
	_, err := f.pool.Exec(t.Context(), `INSERT INTO auth_user (id, password, is_superuser, username, first_name, last_name,
		email, is_staff, is_active, date_joined) VALUES (990001, $1, false, 'test-session', '', '', '', true, true, now())`, djangoHash)
	if err != nil {
		t.Fatal(err)
	}
	f.session(t, "test-session-key", sessionPlain)
	response := f.do(t, "GET", "/orders", nil, "Cookie", SessionCookie+"=test-session-key")
	if response.Code != 200 || decode(t, response)["count"] != 1.0 {
		t.Fatalf("%d %s", response.Code, response.Body)
	}
	for name, cookie := range map[string]string{
		"unknown session":  "nope",
		"another cookie":   "catalog_sessionid=test-session-key",
		"no cookie at all": "",
	} {
		value := SessionCookie + "=" + cookie
		if name != "unknown session" {
			value = cookie
		}
		if code := f.do(t, "GET", "/orders", nil, "Cookie", value).Code; code != 403 {
			t.Errorf("%s: %d", name, code)
		}
	}
	// A password change ends the session, as in Django.
	if _, err := f.pool.Exec(t.Context(), "UPDATE auth_user SET password = 'pbkdf2_sha256$1000$x$y' WHERE id = 990001"); err != nil {
		t.Fatal(err)
	}
	if code := f.do(t, "GET", "/orders", nil, "Cookie", SessionCookie+"=test-session-key").Code; code != 403 {
		t.Errorf("after a password change: %d", code)
	}
}
