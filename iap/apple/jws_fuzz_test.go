package apple

import (
	"encoding/base64"
	"strings"
	"testing"
)

// FuzzParseJWS: the parser never panics, and what it accepts has the
// shape verify relies on.
func FuzzParseJWS(f *testing.F) {
	f.Add("a.b.c")
	f.Add("a.b.c.d")
	f.Add("eyJhbGciOiJFUzI1NiIsIng1YyI6WyJBQT09IiwiQUE9PSIsIkFBPT0iXX0.e30." + strings.Repeat("A", 86))
	f.Add(base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"ES256","x5c":["","",""]}`)) + ".e30.")
	f.Add("..")
	f.Fuzz(func(t *testing.T, s string) {
		j, err := parseJWS(s)
		if err != nil {
			return
		}
		if j.header.Alg != "ES256" || len(j.certs) != 2 || j.certs[0] == nil || j.certs[1] == nil || len(j.sig) != 64 {
			t.Fatalf("accepted a JWS of the wrong shape: %+v", j.header)
		}
		if !strings.HasPrefix(s, string(j.input)+".") {
			t.Fatalf("signing input %q is not the JWS's first two parts", j.input)
		}
	})
}
