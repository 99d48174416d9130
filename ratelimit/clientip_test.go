package ratelimit_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/ratelimit"
	"github.com/omnistack/omnistack/ratelimit/memory"
)

var trustedProxies = []string{"10.0.0.0/8", "::1", "2001:db8:ffff::/48"}

// TestRotatingForwardedIsIgnoredByDefault is the reported bypass: behind
// a proxy that appends the real client to X-Forwarded-For and passes the
// client's Forwarded through untouched (nginx, AWS ALB), a client that
// rotates Forwarded: for=… must still share one budget.
func TestRotatingForwardedIsIgnoredByDefault(t *testing.T) {
	b := newHTTP(t, ratelimit.MiddlewareConfig{Default: ratelimit.PerMinute(1), TrustedProxies: trustedProxies})
	limited := 0
	for i := range 20 {
		w := b.do("GET", "/", "10.0.0.1:4711",
			"X-Forwarded-For", "203.0.113.9",
			"Forwarded", fmt.Sprintf("for=198.51.100.%d", i))
		if w.Code == http.StatusTooManyRequests {
			limited++
		}
	}
	assert.Equal(t, 19, limited, "one request per minute for 203.0.113.9, whatever Forwarded says")
}

func TestClientIP(t *testing.T) {
	const xff, fwd = "X-Forwarded-For", "Forwarded"
	tests := []struct {
		name    string
		header  string // MiddlewareConfig.ForwardedHeader
		remote  string
		headers []string // name, value, name, value…; each pair is one field line
		want    string   // "" is the zero Addr: the client cannot be told
	}{
		{"untrusted peer: XFF ignored", "", "192.0.2.1:1", []string{xff, "203.0.113.9"}, "192.0.2.1"},
		{"untrusted peer: Forwarded ignored", fwd, "192.0.2.1:1", []string{fwd, "for=203.0.113.9"}, "192.0.2.1"},
		{"peer without port", "", "192.0.2.5", nil, "192.0.2.5"},
		{"peer not an address", "", "@", []string{xff, "203.0.113.9"}, ""},
		{"ipv4-mapped peer", "", "[::ffff:192.0.2.7]:1", nil, "192.0.2.7"},

		{"XFF via a trusted proxy", "", "10.0.0.1:1", []string{xff, "203.0.113.9"}, "203.0.113.9"},
		{"right-most untrusted wins", "", "10.0.0.1:1", []string{xff, "198.51.100.1, 203.0.113.9, 10.0.0.2"}, "203.0.113.9"},
		{"spoofed left-most entries ignored", "", "10.0.0.1:1", []string{xff, "1.1.1.1, 8.8.8.8, 203.0.113.9"}, "203.0.113.9"},
		{"spoofed trusted-looking entry ignored", "", "10.0.0.1:1", []string{xff, "10.0.0.9, 203.0.113.9"}, "203.0.113.9"},
		{"several lines are one list", "", "10.0.0.1:1", []string{xff, "1.1.1.1, 203.0.113.9", xff, "10.0.0.3"}, "203.0.113.9"},
		{"several lines, client in the first", "", "10.0.0.1:1", []string{xff, "203.0.113.9", xff, "10.0.0.3, 10.0.0.4"}, "203.0.113.9"},
		{"entry with port", "", "10.0.0.1:1", []string{xff, "203.0.113.9:4711"}, "203.0.113.9"},
		{"bracketed ipv6 with port", "", "[::1]:1", []string{xff, "[2001:db8::1]:80"}, "2001:db8::1"},
		{"ipv4-mapped trusted entry", "", "10.0.0.1:1", []string{xff, "203.0.113.9, ::ffff:10.0.0.5"}, "203.0.113.9"},
		{"trusted ipv6 range", "", "[2001:db8:ffff::7]:1", []string{xff, "2001:db8::1, 2001:db8:ffff::8"}, "2001:db8::1"},
		{"zoned entry", "", "10.0.0.1:1", []string{xff, "fe80::1%eth0"}, "fe80::1"},
		{"Forwarded not read by default", "", "10.0.0.1:1", []string{fwd, "for=198.51.100.7", xff, "203.0.113.9"}, "203.0.113.9"},
		{"Forwarded alone, not configured", "", "10.0.0.1:1", []string{fwd, "for=198.51.100.7"}, ""},
		{"malformed entry stops the walk", "", "10.0.0.1:1", []string{xff, "203.0.113.9, not-an-ip, 10.0.0.2"}, ""},
		{"empty element stops the walk", "", "10.0.0.1:1", []string{xff, "203.0.113.9, , 10.0.0.2"}, ""},
		{"only space and tab are whitespace", "", "10.0.0.1:1", []string{xff, "\v203.0.113.9"}, ""},
		{"space and tab around entries", "", "10.0.0.1:1", []string{xff, "\t198.51.100.1 ,\t203.0.113.9 "}, "203.0.113.9"},
		{"every entry trusted", "", "10.0.0.1:1", []string{xff, "10.0.0.5, 10.0.0.2"}, ""},
		{"trusted peer without the header", "", "10.0.0.1:1", nil, ""},

		{"Forwarded configured", fwd, "10.0.0.1:1", []string{fwd, "for=203.0.113.9"}, "203.0.113.9"},
		{"Forwarded quoted ipv6 with port", fwd, "[::1]:1", []string{fwd, `for="[2001:db8::1]:4711";proto=https`}, "2001:db8::1"},
		{"Forwarded right-most untrusted wins", fwd, "10.0.0.1:1", []string{fwd, "for=198.51.100.1, for=203.0.113.9;proto=https, for=10.0.0.2;by=10.0.0.1"}, "203.0.113.9"},
		{"Forwarded several lines", fwd, "10.0.0.1:1", []string{fwd, "for=1.1.1.1", fwd, "for=203.0.113.9"}, "203.0.113.9"},
		{"Forwarded parameter case", fwd, "10.0.0.1:1", []string{fwd, "proto=https;For=203.0.113.9"}, "203.0.113.9"},
		{"Forwarded configured: XFF not read", fwd, "10.0.0.1:1", []string{xff, "203.0.113.9"}, ""},
		{"Forwarded unknown", fwd, "10.0.0.1:1", []string{fwd, "for=203.0.113.9, for=unknown"}, ""},
		{"Forwarded obfuscated", fwd, "10.0.0.1:1", []string{fwd, "for=203.0.113.9, for=_hidden"}, ""},
		{"Forwarded element without for", fwd, "10.0.0.1:1", []string{fwd, "for=203.0.113.9, proto=https"}, ""},
		{"Forwarded duplicate for", fwd, "10.0.0.1:1", []string{fwd, "for=203.0.113.9;for=10.0.0.3"}, ""},
		{"Forwarded header name in any case", "forwarded", "10.0.0.1:1", []string{fwd, "for=203.0.113.9"}, "203.0.113.9"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			mw := newClientIPMiddleware(t, trustedProxies, tt.header)
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tt.remote
			for i := 0; i+1 < len(tt.headers); i += 2 {
				r.Header.Add(tt.headers[i], tt.headers[i+1])
			}
			var want netip.Addr
			if tt.want != "" {
				want = netip.MustParseAddr(tt.want)
			}
			assert.Equal(t, want, mw.ClientIP(r))
		})
	}
}

func newClientIPMiddleware(t testing.TB, trusted []string, header string) *ratelimit.Middleware {
	t.Helper()
	ms, err := memory.New(memory.Config{})
	require.NoError(t, err)
	l, err := ratelimit.New(ms, ratelimit.Config{})
	require.NoError(t, err)
	mw, err := ratelimit.NewMiddleware(l, ratelimit.MiddlewareConfig{TrustedProxies: trusted, ForwardedHeader: header})
	require.NoError(t, err)
	return mw
}

// TestUnknownClientsShareABudget: requests whose client cannot be told
// are limited together, never let through.
func TestUnknownClientsShareABudget(t *testing.T) {
	b := newHTTP(t, ratelimit.MiddlewareConfig{Default: ratelimit.PerMinute(1), TrustedProxies: trustedProxies})
	w := b.do("GET", "/", "10.0.0.1:1", "X-Forwarded-For", "unknown")
	require.Equal(t, http.StatusNoContent, w.Code)
	w = b.do("GET", "/", "10.0.0.2:1", "X-Forwarded-For", "10.0.0.7")
	assert.Equal(t, http.StatusTooManyRequests, w.Code)
	w = b.do("GET", "/", "10.0.0.2:1", "X-Forwarded-For", "203.0.113.9")
	assert.Equal(t, http.StatusNoContent, w.Code, "a known client has its own budget")
}

func TestForwardedHeaderValidated(t *testing.T) {
	ms, err := memory.New(memory.Config{})
	require.NoError(t, err)
	l, err := ratelimit.New(ms, ratelimit.Config{})
	require.NoError(t, err)
	_, err = ratelimit.NewMiddleware(l, ratelimit.MiddlewareConfig{ForwardedHeader: "X-Real-IP"})
	require.ErrorContains(t, err, "MiddlewareConfig.ForwardedHeader")
}

// FuzzClientIP: any peer and headers never panic; the result is never a
// trusted proxy's address; an untrusted peer is the client whatever the
// headers say; any other result is written in the configured header; the
// header not configured is never read; and splitting the configured
// header into one field line per element changes nothing.
func FuzzClientIP(f *testing.F) {
	seeds, err := os.ReadFile("testdata/clientip.txt")
	require.NoError(f, err)
	for line := range strings.Lines(string(seeds)) {
		p := strings.Split(strings.TrimRight(line, "\n"), "\t")
		require.Len(f, p, 3, "testdata/clientip.txt: remote, X-Forwarded-For, Forwarded")
		f.Add(p[0], p[1], p[2], false)
		f.Add(p[0], p[1], p[2], true)
	}
	trusted := make([]netip.Prefix, len(trustedProxies))
	for i, s := range trustedProxies {
		if p, err := netip.ParsePrefix(s); err == nil {
			trusted[i] = p
		} else {
			a := netip.MustParseAddr(s)
			trusted[i] = netip.PrefixFrom(a, a.BitLen())
		}
	}
	isTrusted := func(a netip.Addr) bool {
		for _, p := range trusted {
			if p.Contains(a) {
				return true
			}
		}
		return false
	}
	byXFF, byForwarded := newClientIPMiddleware(f, trustedProxies, ""), newClientIPMiddleware(f, trustedProxies, "Forwarded")
	byPeer := newClientIPMiddleware(f, nil, "") // trusts nobody: the peer
	f.Fuzz(func(t *testing.T, remote, xff, fwd string, useForwarded bool) {
		mw, own, other, value := byXFF, "X-Forwarded-For", "Forwarded", xff
		if useForwarded {
			mw, own, other, value = byForwarded, "Forwarded", "X-Forwarded-For", fwd
		}
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = remote
		if xff != "" {
			r.Header.Set("X-Forwarded-For", xff)
		}
		if fwd != "" {
			r.Header.Set("Forwarded", fwd)
		}
		got := mw.ClientIP(r)
		require.False(t, got.IsValid() && isTrusted(got), "got the trusted proxy %s", got)

		peer := byPeer.ClientIP(r)
		if !peer.IsValid() || !isTrusted(peer) {
			require.Equal(t, peer, got, "an untrusted peer's headers are ignored")
		} else if got.IsValid() {
			require.True(t, addrsIn(value)[got], "got %s from peer %q, %s %q", got, remote, own, value)
		}

		r.Header.Del(other)
		require.Equal(t, got, mw.ClientIP(r), "%s is not read", other)

		if value != "" {
			r.Header.Del(own)
			for elem := range strings.SplitSeq(value, ",") {
				r.Header.Add(own, elem)
			}
			require.Equal(t, got, mw.ClientIP(r), "several field lines are one list")
		}
	})
}

// addrsIn returns every address written anywhere in s.
func addrsIn(s string) map[netip.Addr]bool {
	out := map[netip.Addr]bool{}
	for _, tok := range strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune(",; \t\"=", r) }) {
		if ap, err := netip.ParseAddrPort(tok); err == nil {
			out[ap.Addr().Unmap().WithZone("")] = true
		} else if a, err := netip.ParseAddr(strings.Trim(tok, "[]")); err == nil {
			out[a.Unmap().WithZone("")] = true
		}
	}
	return out
}
