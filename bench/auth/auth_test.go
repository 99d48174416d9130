// Package auth_test compares auth.Authenticate with a bare golang-jwt
// parse of the same token (the signature check a middleware without a
// cache cannot avoid), for HS256, ES256 and RS256, with the verifier's
// token cache (the default: a repeated token is not checked again) and
// without it (CacheSize -1: every request checks the signature), and
// measures a request with a PostgreSQL user lookup.
//
//	cd bench && go test -run '^$' -bench . -benchtime 2s ./auth/
package auth_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/sys/unix"

	"github.com/omnistack/omnistack/auth"
	"github.com/omnistack/omnistack/auth/authtest"
	"github.com/omnistack/omnistack/auth/memory"
	"github.com/omnistack/omnistack/auth/postgres"
	"github.com/omnistack/omnistack/testenv"
)

var algs = []string{"HS256", "ES256", "RS256"}

func key(iss *authtest.Issuer, alg string) any {
	if alg == "HS256" {
		return iss.Secret()
	}
	return iss.Current(alg).Public()
}

// BenchmarkBareParse is the floor: golang-jwt parsing and verifying the
// token with the key at hand, into MapClaims, with an algorithm allow-list.
func BenchmarkBareParse(b *testing.B) {
	iss := authtest.NewIssuer(b, authtest.Options{})
	for _, alg := range algs {
		b.Run(alg, func(b *testing.B) {
			tok, k := iss.Token(b, alg, nil), key(iss, alg)
			kf := func(*jwt.Token) (any, error) { return k, nil }
			b.ReportAllocs()
			for b.Loop() {
				if _, err := jwt.Parse(tok, kf, jwt.WithValidMethods([]string{alg}), jwt.WithExpirationRequired()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// verifier returns a verifier of iss; cacheSize is its Config.CacheSize
// (0: the default cache, -1: none).
func verifier(b *testing.B, iss *authtest.Issuer, cacheSize int) *auth.JWTVerifier {
	cfg := iss.Config()
	cfg.CacheSize = cacheSize
	v, err := auth.NewVerifier(cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = v.Close() })
	return v
}

// BenchmarkVerify is auth.JWTVerifier.Verify of a repeated token: the
// token cache's digest, lookup and copy of the Principal.
func BenchmarkVerify(b *testing.B) { benchVerify(b, 0) }

// BenchmarkVerifyNoCache is auth.JWTVerifier.Verify without the token
// cache: key lookup in the JWKS cache, the signature, all claim checks
// and the Principal.
func BenchmarkVerifyNoCache(b *testing.B) { benchVerify(b, -1) }

func benchVerify(b *testing.B, cacheSize int) {
	iss := authtest.NewIssuer(b, authtest.Options{})
	v := verifier(b, iss, cacheSize)
	for _, alg := range algs {
		b.Run(alg, func(b *testing.B) {
			tok := iss.Token(b, alg, nil)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := v.Verify(b.Context(), tok); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

type discard struct{ h http.Header }

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) Write(p []byte) (int, error) { return len(p), nil }
func (d *discard) WriteHeader(int)             {}

var ok = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	if _, found := auth.PrincipalFrom(r.Context()); !found {
		panic("no principal")
	}
})

func serveLoop(b *testing.B, h http.Handler, tok string) {
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	w := &discard{h: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		h.ServeHTTP(w, req)
	}
}

// BenchmarkAuthenticate is the middleware per request for a repeated
// token (every client's case): header, Verify served by the token cache,
// context. No user store.
func BenchmarkAuthenticate(b *testing.B) { benchAuthenticate(b, 0) }

// BenchmarkAuthenticateNoCache is BenchmarkAuthenticate with every token
// verified: the cost of a token's first request.
func BenchmarkAuthenticateNoCache(b *testing.B) { benchAuthenticate(b, -1) }

func benchAuthenticate(b *testing.B, cacheSize int) {
	iss := authtest.NewIssuer(b, authtest.Options{})
	authn, err := auth.NewAuthenticator(verifier(b, iss, cacheSize), auth.AuthenticatorConfig{})
	if err != nil {
		b.Fatal(err)
	}
	h := authn.Authenticate(ok)
	for _, alg := range algs {
		b.Run(alg, func(b *testing.B) { serveLoop(b, h, iss.Token(b, alg, nil)) })
	}
}

// BenchmarkAuthenticateUsers adds the local user lookup (the user exists
// after the first request): in memory and on PostgreSQL.
func BenchmarkAuthenticateUsers(b *testing.B) {
	iss := authtest.NewIssuer(b, authtest.Options{})
	v := verifier(b, iss, 0)
	stores := []struct {
		name string
		new  func(b *testing.B) auth.UserStore
	}{
		{"memory", func(b *testing.B) auth.UserStore {
			s, err := memory.New(memory.Config{})
			if err != nil {
				b.Fatal(err)
			}
			return s
		}},
		{"postgres", func(b *testing.B) auth.UserStore {
			pool := testenv.Postgres(b)
			if err := postgres.Migrate(b.Context(), pool); err != nil {
				b.Fatal(err)
			}
			s, err := postgres.New(pool, postgres.Config{})
			if err != nil {
				b.Fatal(err)
			}
			return s
		}},
	}
	for _, st := range stores {
		b.Run(st.name, func(b *testing.B) {
			users, err := auth.NewUsers(st.new(b), auth.UsersConfig{})
			if err != nil {
				b.Fatal(err)
			}
			authn, err := auth.NewAuthenticator(v, auth.AuthenticatorConfig{Users: users})
			if err != nil {
				b.Fatal(err)
			}
			for _, alg := range []string{"HS256", "ES256"} {
				b.Run(alg, func(b *testing.B) { serveLoop(b, authn.Authenticate(ok), iss.Token(b, alg, nil)) })
			}
		})
	}
}

// threadCPU is the CPU time of the calling OS thread: unlike wall time it
// does not grow while other processes hold the (shared, busy) cores.
func threadCPU() time.Duration {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		panic(err)
	}
	return time.Duration(ts.Nano())
}

// BenchmarkOverhead interleaves the bare parse, Verify and the
// Authenticate middleware in chunks of 32 requests within one run, on one
// locked OS thread, timing each chunk by that thread's CPU time so that
// load from other processes falls on none of them. It reports each one's
// CPU time per request and the middleware's overhead in percent over the
// bare parse and over a hand-written middleware (parse, then
// r.WithContext). (Garbage collection on other threads is not counted:
// compare allocs/op of BenchmarkBareParse and BenchmarkAuthenticate too.)
// The verifier has no token cache: this is the overhead on a token's
// first request, when the signature must be checked.
func BenchmarkOverhead(b *testing.B) {
	iss := authtest.NewIssuer(b, authtest.Options{})
	v := verifier(b, iss, -1)
	authn, err := auth.NewAuthenticator(v, auth.AuthenticatorConfig{})
	if err != nil {
		b.Fatal(err)
	}
	h := authn.Authenticate(ok)
	for _, alg := range algs {
		b.Run(alg, func(b *testing.B) {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			tok, k := iss.Token(b, alg, nil), key(iss, alg)
			kf := func(*jwt.Token) (any, error) { return k, nil }
			req := httptest.NewRequest(http.MethodGet, "/", nil)
			req.Header.Set("Authorization", "Bearer "+tok)
			w := &discard{h: http.Header{}}
			ctx := b.Context()
			// The hand-written equivalent: parse, then hand the claims on
			// in the request context.
			type claimsKey struct{}
			handWritten := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				t, err := jwt.Parse(r.Header.Get("Authorization")[7:], kf, jwt.WithValidMethods([]string{alg}), jwt.WithExpirationRequired())
				if err != nil {
					b.Fatal(err)
				}
				r = r.WithContext(context.WithValue(r.Context(), claimsKey{}, t.Claims))
				_ = r
			})
			const chunk = 32
			var bare, verify, mw, hand time.Duration
			n := 0
			for b.Loop() {
				t0 := threadCPU()
				for range chunk {
					if _, err := jwt.Parse(tok, kf, jwt.WithValidMethods([]string{alg}), jwt.WithExpirationRequired()); err != nil {
						b.Fatal(err)
					}
				}
				t1 := threadCPU()
				for range chunk {
					if _, err := v.Verify(ctx, tok); err != nil {
						b.Fatal(err)
					}
				}
				t2 := threadCPU()
				for range chunk {
					h.ServeHTTP(w, req)
				}
				t3 := threadCPU()
				for range chunk {
					handWritten.ServeHTTP(w, req)
				}
				t4 := threadCPU()
				bare += t1 - t0
				verify += t2 - t1
				mw += t3 - t2
				hand += t4 - t3
				n += chunk
			}
			b.ReportMetric(float64(bare.Nanoseconds())/float64(n), "bare-cpu-ns/req")
			b.ReportMetric(float64(verify.Nanoseconds())/float64(n), "verify-cpu-ns/req")
			b.ReportMetric(float64(mw.Nanoseconds())/float64(n), "authenticate-cpu-ns/req")
			b.ReportMetric(float64(hand.Nanoseconds())/float64(n), "handwritten-cpu-ns/req")
			b.ReportMetric(100*(float64(mw)/float64(bare)-1), "overhead-%")
			b.ReportMetric(100*(float64(mw)/float64(hand)-1), "overhead-vs-handwritten-%")
		})
	}
}

// BenchmarkCache interleaves, in chunks of 32 requests on one locked OS
// thread timed by its CPU time (as BenchmarkOverhead), the bare golang-jwt
// parse, Authenticate on a verifier without the token cache and
// Authenticate with it, all on the same repeated token. It reports each
// one's CPU time per request and the cached request's share of the bare
// parse and of the uncached request.
func BenchmarkCache(b *testing.B) {
	iss := authtest.NewIssuer(b, authtest.Options{})
	middleware := func(cacheSize int) http.Handler {
		authn, err := auth.NewAuthenticator(verifier(b, iss, cacheSize), auth.AuthenticatorConfig{})
		if err != nil {
			b.Fatal(err)
		}
		return authn.Authenticate(ok)
	}
	cached, uncached := middleware(0), middleware(-1)
	for _, alg := range algs {
		b.Run(alg, func(b *testing.B) {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			tok, k := iss.Token(b, alg, nil), key(iss, alg)
			kf := func(*jwt.Token) (any, error) { return k, nil }
			req := httptest.NewRequest(http.MethodGet, "/", nil)
			req.Header.Set("Authorization", "Bearer "+tok)
			w := &discard{h: http.Header{}}
			const chunk = 32
			var bare, without, with time.Duration
			n := 0
			for b.Loop() {
				t0 := threadCPU()
				for range chunk {
					if _, err := jwt.Parse(tok, kf, jwt.WithValidMethods([]string{alg}), jwt.WithExpirationRequired()); err != nil {
						b.Fatal(err)
					}
				}
				t1 := threadCPU()
				for range chunk {
					uncached.ServeHTTP(w, req)
				}
				t2 := threadCPU()
				for range chunk {
					cached.ServeHTTP(w, req)
				}
				t3 := threadCPU()
				bare += t1 - t0
				without += t2 - t1
				with += t3 - t2
				n += chunk
			}
			b.ReportMetric(float64(bare.Nanoseconds())/float64(n), "bare-cpu-ns/req")
			b.ReportMetric(float64(without.Nanoseconds())/float64(n), "nocache-cpu-ns/req")
			b.ReportMetric(float64(with.Nanoseconds())/float64(n), "cached-cpu-ns/req")
			b.ReportMetric(float64(with)/float64(bare), "cached/bare")
			b.ReportMetric(float64(with)/float64(without), "cached/nocache")
		})
	}
}
