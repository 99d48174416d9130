package auth

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// TestValidateMatchesGolangJWT checks validate against the golang-jwt
// validator with the options the verifier used to hand it, over every
// combination of tricky exp, nbf, iat, iss and aud values: the same
// outcome, the same sentinel errors and the same safe reason.
func TestValidateMatchesGolangJWT(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_700_000_000, 400_000_000)
	const leeway = 5 * time.Second
	sec := func(d time.Duration) float64 { return float64(now.Add(d).UnixNano()) / 1e9 }
	absent := struct{}{}
	times := []any{absent, nil, float64(0), "1700000000", true, json.Number("0"), json.Number("1700000100"),
		sec(-time.Hour), sec(-leeway - time.Second), sec(-leeway), sec(-leeway + 300*time.Millisecond),
		sec(-leeway + time.Second), sec(0), sec(leeway - 300*time.Millisecond), sec(leeway), sec(leeway + time.Second), sec(time.Hour)}
	// nbf and iat fail beyond now+leeway.
	early := []any{absent, nil, float64(0), "1700000000", json.Number("1700000100"),
		sec(-time.Hour), sec(leeway - 300*time.Millisecond), sec(leeway), sec(leeway + 700*time.Millisecond), sec(time.Hour)}
	issuers := []any{absent, nil, "", "https://issuer.example", "https://other.example", 42.0}
	audiences := []any{absent, nil, "", "api", "other", 1.0, []any{}, []any{""}, []any{"other", "api"},
		[]any{"other"}, []any{"api", 1.0}, []any{"", "api"}, map[string]any{"api": true}}
	sentinels := []error{jwt.ErrTokenInvalidClaims, jwt.ErrTokenExpired, jwt.ErrTokenNotValidYet,
		jwt.ErrTokenUsedBeforeIssued, jwt.ErrTokenInvalidAudience, jwt.ErrTokenInvalidIssuer,
		jwt.ErrTokenRequiredClaimMissing, jwt.ErrInvalidType}

	for _, cfg := range []Config{
		{Secret: make([]byte, MinSecretBytes), Leeway: leeway, Now: func() time.Time { return now },
			Issuer: "https://issuer.example", Audience: []string{"api", "admin"}},
		{Secret: make([]byte, MinSecretBytes), Leeway: leeway, Now: func() time.Time { return now }},
	} {
		v, err := NewVerifier(cfg)
		if err != nil {
			t.Fatal(err)
		}
		opts := []jwt.ParserOption{jwt.WithExpirationRequired(), jwt.WithIssuedAt(),
			jwt.WithLeeway(leeway), jwt.WithTimeFunc(cfg.Now)}
		if cfg.Issuer != "" {
			opts = append(opts, jwt.WithIssuer(cfg.Issuer))
		}
		if len(cfg.Audience) > 0 {
			opts = append(opts, jwt.WithAudience(cfg.Audience...))
		}
		ref := jwt.NewValidator(opts...)
		n := 0
		for _, exp := range times {
			for _, nbf := range early {
				for _, iat := range early {
					for _, iss := range issuers {
						for _, aud := range audiences {
							c := jwt.MapClaims{"sub": "user"}
							for k, val := range map[string]any{"exp": exp, "nbf": nbf, "iat": iat, "iss": iss, "aud": aud} {
								if val != absent {
									c[k] = val
								}
							}
							want := ref.Validate(c)
							if want != nil {
								want = fmt.Errorf("%w: %w", jwt.ErrTokenInvalidClaims, want) // as ParseWithClaims wraps it
							}
							var reg registered
							v.principal(c, &reg)
							got := v.validate(&reg)
							if (got == nil) != (want == nil) {
								t.Fatalf("claims %v: validate = %v, golang-jwt = %v", c, got, want)
							}
							if got == nil {
								n++
								continue
							}
							for _, s := range sentinels {
								if errors.Is(got, s) != errors.Is(want, s) {
									t.Fatalf("claims %v: validate = %v, golang-jwt = %v (differ on %v)", c, got, want, s)
								}
							}
							if g, w := tokenError(got).Reason, tokenError(want).Reason; g != w {
								t.Fatalf("claims %v: reason %q, golang-jwt %q", c, g, w)
							}
						}
					}
				}
			}
		}
		if n == 0 {
			t.Fatal("no combination passed: the test checks nothing")
		}
		_ = v.Close()
	}
}
