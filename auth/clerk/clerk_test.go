package clerk_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/omnistack/omnistack/auth"
	"github.com/omnistack/omnistack/auth/authtest"
	"github.com/omnistack/omnistack/auth/clerk"
	"github.com/omnistack/omnistack/auth/memory"
	"github.com/omnistack/omnistack/httpx"
	"github.com/omnistack/omnistack/internal/fakeclock"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

const secretKey = "sk_test_abc123"

// fakeAPI is a stand-in for Clerk's Backend API: GET /v1/users/{id} with
// the secret key as a bearer token, answering Clerk's User object or its
// error envelope.
type fakeAPI struct {
	srv   *httptest.Server
	hits  atomic.Int32
	mu    sync.Mutex
	users map[string]map[string]any
	fail  int // status to answer instead, when not 0
}

func newFakeAPI(t *testing.T) *fakeAPI {
	t.Helper()
	f := &fakeAPI{users: map[string]map[string]any{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/users/{id}", func(w http.ResponseWriter, r *http.Request) {
		f.hits.Add(1)
		w.Header().Set("Content-Type", "application/json")
		if r.Header.Get("Authorization") != "Bearer "+secretKey {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"errors":[{"message":"Invalid authentication","long_message":"The provided secret key is invalid.","code":"authentication_invalid"}]}`))
			return
		}
		f.mu.Lock()
		fail, u := f.fail, f.users[r.PathValue("id")]
		f.mu.Unlock()
		switch {
		case fail != 0:
			w.WriteHeader(fail)
			_, _ = w.Write([]byte(`{"errors":[{"message":"unavailable","code":"internal_clerk_error"}]}`))
		case u == nil:
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte(`{"errors":[{"message":"not found","long_message":"Resource not found","code":"resource_not_found"}]}`))
		default:
			_ = json.NewEncoder(w).Encode(u)
		}
	})
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeAPI) setFail(status int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail = status
}

// addUser stores a Clerk User object: the primary address first or not,
// and its verification status ("" for a null verification).
func (f *fakeAPI) addUser(id, email, status string, extra map[string]any) {
	var verification any
	if status != "" {
		verification = map[string]any{"status": status, "strategy": "email_code", "attempts": 1, "expire_at": nil}
	}
	u := map[string]any{
		"id": id, "object": "user", "first_name": "Ada", "last_name": "Lovelace",
		"image_url": "https://img.clerk.com/ada", "has_image": true, "username": nil,
		"primary_email_address_id": "idn_primary",
		"email_addresses": []any{
			map[string]any{"id": "idn_other", "object": "email_address", "email_address": "old@example.com",
				"verification": map[string]any{"status": "verified"}, "linked_to": []any{}},
			map[string]any{"id": "idn_primary", "object": "email_address", "email_address": email,
				"verification": verification, "linked_to": []any{}},
		},
		"phone_numbers": []any{}, "public_metadata": map[string]any{}, "created_at": 1716883200000, "updated_at": 1716883200000,
	}
	for k, v := range extra {
		u[k] = v
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.users[id] = u
}

func newClient(t *testing.T, f *fakeAPI, key string) *clerk.Client {
	t.Helper()
	c, err := clerk.New(key, clerk.Config{BaseURL: f.srv.URL + "/"})
	require.NoError(t, err)
	return c
}

func TestIdentity(t *testing.T) {
	t.Parallel()
	f := newFakeAPI(t)
	f.addUser("user_verified", "ada@example.com", "verified", nil)
	f.addUser("user_unverified", "ada@example.com", "unverified", nil)
	f.addUser("user_null_verification", "ada@example.com", "", nil)
	f.addUser("user_phone_only", "", "", map[string]any{"primary_email_address_id": nil, "email_addresses": []any{}})
	f.addUser("user_no_names", "x@example.com", "verified", map[string]any{"first_name": nil, "last_name": nil, "image_url": ""})
	f.addUser("user_first_only", "x@example.com", "verified", map[string]any{"last_name": nil})
	c := newClient(t, f, secretKey)

	tests := []struct {
		name string
		give string
		want auth.Identity
	}{
		{"verified primary", "user_verified", auth.Identity{Subject: "user_verified", Email: "ada@example.com", EmailVerified: true, Name: "Ada Lovelace", AvatarURL: "https://img.clerk.com/ada"}},
		{"unverified primary", "user_unverified", auth.Identity{Subject: "user_unverified", Email: "ada@example.com", Name: "Ada Lovelace", AvatarURL: "https://img.clerk.com/ada"}},
		{"null verification", "user_null_verification", auth.Identity{Subject: "user_null_verification", Email: "ada@example.com", Name: "Ada Lovelace", AvatarURL: "https://img.clerk.com/ada"}},
		{"phone only", "user_phone_only", auth.Identity{Subject: "user_phone_only", Name: "Ada Lovelace", AvatarURL: "https://img.clerk.com/ada"}},
		{"no names", "user_no_names", auth.Identity{Subject: "user_no_names", Email: "x@example.com", EmailVerified: true}},
		{"first name only", "user_first_only", auth.Identity{Subject: "user_first_only", Email: "x@example.com", EmailVerified: true, Name: "Ada", AvatarURL: "https://img.clerk.com/ada"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := c.Identity(t.Context(), tt.give)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestIdentityErrors(t *testing.T) {
	t.Parallel()
	f := newFakeAPI(t)
	f.addUser("user_1", "ada@example.com", "verified", nil)

	t.Run("unknown user", func(t *testing.T) {
		t.Parallel()
		_, err := newClient(t, f, secretKey).Identity(t.Context(), "user_missing")
		require.ErrorIs(t, err, auth.ErrNotFound)
		assert.Contains(t, err.Error(), "resource_not_found")
	})
	t.Run("wrong key", func(t *testing.T) {
		t.Parallel()
		_, err := newClient(t, f, "sk_test_wrong").Identity(t.Context(), "user_1")
		require.Error(t, err)
		assert.NotErrorIs(t, err, auth.ErrNotFound)
		assert.Contains(t, err.Error(), "status 401 (authentication_invalid)")
		assert.NotContains(t, err.Error(), "sk_test_wrong", "the key never appears in errors")
	})
	t.Run("invalid subject", func(t *testing.T) {
		t.Parallel()
		for _, sub := range []string{"", ".", ".."} {
			_, err := newClient(t, f, secretKey).Identity(t.Context(), sub)
			require.Error(t, err)
		}
	})
	t.Run("subject is escaped", func(t *testing.T) {
		t.Parallel()
		_, err := newClient(t, f, secretKey).Identity(t.Context(), "user_1/../user_1")
		require.ErrorIs(t, err, auth.ErrNotFound, "one path segment, never another route")
	})
	t.Run("another user answered", func(t *testing.T) {
		t.Parallel()
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write([]byte(`{"id":"user_other","primary_email_address_id":null,"email_addresses":[]}`))
		}))
		t.Cleanup(srv.Close)
		c, err := clerk.New(secretKey, clerk.Config{BaseURL: srv.URL})
		require.NoError(t, err)
		_, err = c.Identity(t.Context(), "user_1")
		require.ErrorContains(t, err, `answered user "user_other"`)
	})
	t.Run("malformed body", func(t *testing.T) {
		t.Parallel()
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write([]byte(`<html>`))
		}))
		t.Cleanup(srv.Close)
		c, err := clerk.New(secretKey, clerk.Config{BaseURL: srv.URL})
		require.NoError(t, err)
		_, err = c.Identity(t.Context(), "user_1")
		require.ErrorContains(t, err, "decode user")
	})
	t.Run("server error", func(t *testing.T) {
		t.Parallel()
		g := newFakeAPI(t)
		g.setFail(http.StatusServiceUnavailable)
		_, err := newClient(t, g, secretKey).Identity(t.Context(), "user_1")
		require.ErrorContains(t, err, "status 503")
	})
	t.Run("timeout", func(t *testing.T) {
		t.Parallel()
		release := make(chan struct{})
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}))
		t.Cleanup(srv.Close)
		t.Cleanup(func() { close(release) })
		c, err := clerk.New(secretKey, clerk.Config{BaseURL: srv.URL, Timeout: time.Millisecond})
		require.NoError(t, err)
		_, err = c.Identity(t.Context(), "user_1")
		require.ErrorIs(t, err, context.DeadlineExceeded)
	})
}

func TestNewValidates(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		key  string
		cfg  clerk.Config
		want string
	}{
		{"empty key", " ", clerk.Config{}, "empty secret key"},
		{"relative URL", secretKey, clerk.Config{BaseURL: "/v1"}, "Config.BaseURL"},
		{"other scheme", secretKey, clerk.Config{BaseURL: "ftp://api.clerk.com"}, "Config.BaseURL"},
		{"negative timeout", secretKey, clerk.Config{Timeout: -time.Second}, "Config.Timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := clerk.New(tt.key, tt.cfg)
			require.ErrorContains(t, err, tt.want)
		})
	}
}

// clerkSetup is a Clerk instance for end-to-end tests: an issuer whose
// session tokens carry Clerk's default claims (no e-mail), the fake
// Backend API, and an Authenticator with users that looks users up there.
type clerkSetup struct {
	iss     *authtest.Issuer
	api     *fakeAPI
	clock   *fakeclock.Clock
	users   *auth.Users
	h       http.Handler
	created chan auth.User
	emailed chan auth.User
}

func setupClerk(t *testing.T, ucfg auth.UsersConfig) *clerkSetup {
	t.Helper()
	s := &clerkSetup{clock: fakeclock.New(time.Time{}), created: make(chan auth.User, 10), emailed: make(chan auth.User, 10)}
	s.iss = authtest.NewIssuer(t, authtest.Options{Now: s.clock.Now})
	s.api = newFakeAPI(t)
	vcfg := auth.ClerkConfig(s.iss.URL(), "https://app.example")
	vcfg.Now, vcfg.HTTPClient = s.clock.Now, s.iss.Client()
	v, err := auth.NewVerifier(vcfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = v.Close() })
	store, err := memory.New(memory.Config{})
	require.NoError(t, err)
	ucfg.LookupIdentity = newClient(t, s.api, secretKey).Identity
	ucfg.Now = s.clock.Now
	ucfg.OnCreated = func(_ context.Context, u auth.User) { s.created <- u }
	ucfg.OnEmailVerified = func(_ context.Context, u auth.User) { s.emailed <- u }
	s.users, err = auth.NewUsers(store, ucfg)
	require.NoError(t, err)
	authn, err := auth.NewAuthenticator(v, auth.AuthenticatorConfig{Users: s.users})
	require.NoError(t, err)
	s.h = authn.Authenticate(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, _ := auth.UserFrom(r.Context())
		httpx.WriteJSON(w, http.StatusOK, u)
	}))
	return s
}

// sessionToken is a Clerk v2 session token with the default claims only.
func (s *clerkSetup) sessionToken(t *testing.T, sub string) string {
	return s.iss.Token(t, "RS256", authtest.Claims{
		"sub": sub, "azp": "https://app.example", "sid": "sess_1", "v": 2, "fva": []int{0, -1},
		"nbf": s.clock.Now().Unix(), "jti": "j_" + sub,
	})
}

// me makes a request with tok and returns the user it saw.
func (s *clerkSetup) me(t *testing.T, tok string) auth.User {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set("Authorization", "Bearer "+tok)
	w := httptest.NewRecorder()
	s.h.ServeHTTP(w, r)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	var u auth.User
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &u))
	return u
}

func TestClerkTokenWithoutEmailGetsTheAPIsEmail(t *testing.T) {
	t.Parallel()
	s := setupClerk(t, auth.UsersConfig{AdminEmails: []string{"ada@example.com"}})
	s.api.addUser("user_2abc", "ada@example.com", "verified", nil)

	tok := s.sessionToken(t, "user_2abc")
	u := s.me(t, tok)
	assert.Equal(t, "ada@example.com", u.Email)
	assert.True(t, u.EmailVerified, "Clerk's verification status decides")
	assert.Equal(t, "Ada Lovelace", u.FullName)
	assert.Equal(t, "https://img.clerk.com/ada", u.AvatarURL)
	assert.Equal(t, "admin", u.Role, "a verified address in AdminEmails is promoted")
	created := <-s.created
	assert.Equal(t, "ada@example.com", created.Email, "OnCreated sees the e-mail")
	assert.True(t, created.EmailVerified)

	s.me(t, tok)
	s.me(t, s.sessionToken(t, "user_2abc"))
	assert.Equal(t, int32(1), s.api.hits.Load(), "looked up once, on creation")
}

func TestClerkUnverifiedAddressIsNotPromoted(t *testing.T) {
	t.Parallel()
	s := setupClerk(t, auth.UsersConfig{AdminEmails: []string{"ada@example.com"}})
	s.api.addUser("user_2abc", "ada@example.com", "unverified", nil)
	u := s.me(t, s.sessionToken(t, "user_2abc"))
	assert.Equal(t, "ada@example.com", u.Email)
	assert.False(t, u.EmailVerified)
	assert.Equal(t, "user", u.Role)
}

func TestClerkTokenWithEmailIsNotLookedUp(t *testing.T) {
	t.Parallel()
	s := setupClerk(t, auth.UsersConfig{})
	tok := s.iss.Token(t, "RS256", authtest.Merge(authtest.Claims{"sub": "user_custom", "azp": "https://app.example"},
		authtest.Claims{"email": "c@example.com", "email_verified": "true"})) // the customised session token
	u := s.me(t, tok)
	assert.Equal(t, "c@example.com", u.Email)
	assert.True(t, u.EmailVerified)
	assert.Equal(t, int32(0), s.api.hits.Load())
}

func TestClerkLookupFailureIsRetriedLater(t *testing.T) {
	t.Parallel()
	s := setupClerk(t, auth.UsersConfig{LookupRetry: time.Minute, LookupAttempts: 3})
	s.api.addUser("user_2abc", "ada@example.com", "verified", nil)
	s.api.setFail(http.StatusServiceUnavailable)

	u := s.me(t, s.sessionToken(t, "user_2abc"))
	assert.Empty(t, u.Email, "the request succeeds without an e-mail")
	assert.Empty(t, (<-s.created).Email)
	require.Equal(t, int32(1), s.api.hits.Load())

	s.api.setFail(0)
	s.me(t, s.sessionToken(t, "user_2abc"))
	require.Equal(t, int32(1), s.api.hits.Load(), "no retry before LookupRetry")

	s.clock.Advance(time.Minute)
	u = s.me(t, s.sessionToken(t, "user_2abc"))
	assert.Equal(t, "ada@example.com", u.Email, "a later request fills the e-mail in")
	assert.True(t, u.EmailVerified)
	assert.Equal(t, "Ada Lovelace", u.FullName)
	assert.Equal(t, "ada@example.com", (<-s.emailed).Email, "OnEmailVerified sees the verified address")
	require.Equal(t, int32(2), s.api.hits.Load())

	s.clock.Advance(time.Hour)
	s.me(t, s.sessionToken(t, "user_2abc"))
	assert.Equal(t, int32(2), s.api.hits.Load(), "nothing more to ask")
}

func TestClerkLookupRetriesAreBounded(t *testing.T) {
	t.Parallel()
	s := setupClerk(t, auth.UsersConfig{LookupRetry: time.Minute, LookupAttempts: 3})
	s.api.setFail(http.StatusInternalServerError)
	for range 10 {
		u := s.me(t, s.sessionToken(t, "user_2abc"))
		assert.Empty(t, u.Email)
		s.clock.Advance(time.Hour)
	}
	assert.Equal(t, int32(3), s.api.hits.Load(), "LookupAttempts per subject")
}

func TestClerkPhoneOnlyUserIsAskedOnce(t *testing.T) {
	t.Parallel()
	s := setupClerk(t, auth.UsersConfig{})
	s.api.addUser("user_phone", "", "", map[string]any{"primary_email_address_id": nil, "email_addresses": []any{}})
	for range 3 {
		u := s.me(t, s.sessionToken(t, "user_phone"))
		assert.Empty(t, u.Email)
		s.clock.Advance(time.Hour)
	}
	assert.Equal(t, int32(1), s.api.hits.Load(), "an answer without an e-mail is final")
}

func TestClerkConcurrentFirstRequestsAllSeeTheEmail(t *testing.T) {
	t.Parallel()
	s := setupClerk(t, auth.UsersConfig{})
	s.api.addUser("user_2abc", "ada@example.com", "verified", nil)
	tok := s.sessionToken(t, "user_2abc")
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.Header.Set("Authorization", "Bearer "+tok)
			w := httptest.NewRecorder()
			s.h.ServeHTTP(w, r)
			var u auth.User
			if assert.Equal(t, http.StatusOK, w.Code) && assert.NoError(t, json.Unmarshal(w.Body.Bytes(), &u)) {
				assert.Equal(t, "ada@example.com", u.Email)
			}
		})
	}
	wg.Wait()
	assert.Equal(t, "ada@example.com", (<-s.created).Email)
	assert.Empty(t, s.created, "one user created")
}

// levels records the level and message of each log record, then each of
// its attributes on a line of its own.
type levels struct {
	mu      sync.Mutex
	records []string
}

func (l *levels) Enabled(context.Context, slog.Level) bool { return true }
func (l *levels) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.records = append(l.records, r.Level.String()+" "+r.Message)
	r.Attrs(func(a slog.Attr) bool {
		l.records = append(l.records, "  "+a.String())
		return true
	})
	return nil
}
func (l *levels) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *levels) WithGroup(string) slog.Handler      { return l }

func TestClerkLookupFailureIsLoggedAtWarn(t *testing.T) {
	t.Parallel()
	logs := &levels{}
	s := setupClerk(t, auth.UsersConfig{Logger: slog.New(logs)})
	s.api.setFail(http.StatusBadGateway)
	s.me(t, s.sessionToken(t, "user_2abc"))
	logs.mu.Lock()
	defer logs.mu.Unlock()
	assert.Contains(t, logs.records, "WARN auth: identity lookup failed; the user has no e-mail until a later request or a webhook brings one")
	assert.Contains(t, logs.records, "  subject=user_2abc")
	for _, r := range logs.records {
		assert.NotContains(t, r, secretKey)
	}
}
