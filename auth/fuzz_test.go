package auth_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/omnistack/omnistack/auth"
	"github.com/omnistack/omnistack/auth/authtest"
)

// FuzzVerify feeds arbitrary strings to the verification path: it must
// never panic, must answer a *TokenError for anything it refuses, and may
// accept only tokens our own issuer minted, unchanged (strict base64
// leaves a token exactly one spelling).
func FuzzVerify(f *testing.F) {
	iss := authtest.NewIssuer(f, authtest.Options{Now: newClock().Now})
	cfg := iss.Config()
	cfg.Now = newClock().Now
	cfg.UnknownKIDInterval = 1 << 62 // one refetch at most: keep the fuzzer off the network
	v, err := auth.NewVerifier(cfg)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = v.Close() })
	var valid []string
	for _, alg := range []string{"HS256", "RS256", "ES256", "EdDSA"} {
		tok := iss.Token(f, alg, authtest.Claims{"email": "a@example.com", "roles": []string{"admin"}})
		valid = append(valid, tok)
		f.Add(tok)
		f.Add(tok[:len(tok)-1])
		f.Add(strings.Replace(tok, ".", "..", 1))
	}
	f.Add("")
	f.Add("Bearer x")
	f.Fuzz(func(t *testing.T, tok string) {
		p, err := v.Verify(t.Context(), tok)
		if err != nil {
			if _, ok := errors.AsType[*auth.TokenError](err); !ok {
				t.Fatalf("error is not a *TokenError: %v", err)
			}
			if p != nil {
				t.Fatal("principal returned with an error")
			}
			return
		}
		if !slices.Contains(valid, tok) {
			t.Fatalf("accepted a token the issuer never minted: %q", tok)
		}
		if p.Subject != "user-1" || !p.HasRole("admin") {
			t.Fatalf("unexpected principal %+v", p)
		}
	})
}

// FuzzAuthorizationHeader feeds arbitrary Authorization headers to the
// Authenticator: it must never panic, must answer ErrNoToken,
// ErrNotBearer or a *TokenError for anything it refuses, and may accept
// only the Bearer scheme (in any case) with a token our issuer minted.
func FuzzAuthorizationHeader(f *testing.F) {
	iss := authtest.NewIssuer(f, authtest.Options{Now: newClock().Now})
	cfg := iss.Config()
	cfg.Now = newClock().Now
	cfg.UnknownKIDInterval = 1 << 62
	v, err := auth.NewVerifier(cfg)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = v.Close() })
	authn, err := auth.NewAuthenticator(v, auth.AuthenticatorConfig{})
	if err != nil {
		f.Fatal(err)
	}
	good := iss.Token(f, "HS256", nil)
	for _, h := range []string{"Bearer " + good, "bearer " + good, "Basic dXNlcjpwYXNz", "Token x", good, "Bearer", " bearer ", "Bearer  " + good, ""} {
		f.Add(h)
	}
	f.Fuzz(func(t *testing.T, h string) {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Header["Authorization"] = []string{h}
		p, err := authn.Identify(r)
		if err != nil {
			_, isToken := errors.AsType[*auth.TokenError](err)
			if !isToken && !errors.Is(err, auth.ErrNoToken) && !errors.Is(err, auth.ErrNotBearer) {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		if !strings.EqualFold(h[:7], "bearer ") || strings.TrimSpace(h[7:]) != good || p.Subject != "user-1" {
			t.Fatalf("accepted %q", h)
		}
	})
}
