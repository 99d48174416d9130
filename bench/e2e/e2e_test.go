package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const wrkOutput = `Running 5s test @ http://127.0.0.1:8000/api/v1/public/health
  2 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.20ms  800.00us  20.00ms   90.00%
    Req/Sec    27.00k     2.00k   30.00k    70.00%
  268554 requests in 5.00s, 60.00MB read
  Socket errors: connect 0, read 2, write 1, timeout 3
  Non-2xx or 3xx responses: 7
Requests/sec:  53710.80
Transfer/sec:     12.00MB
`

func TestParseWrk(t *testing.T) {
	t.Parallel()
	r, err := parseWrk(wrkOutput)
	require.NoError(t, err)
	assert.InDelta(t, 53710.80, r.RPS, 0.001)
	assert.EqualValues(t, 268554, r.Requests)
	assert.EqualValues(t, 7, r.Non2xx)
	assert.EqualValues(t, 6, r.Errors)
	assert.Error(t, r.check(), "non-2xx answers fail the run")

	_, err = parseWrk("wrk: unable to connect")
	assert.Error(t, err)
}

func TestParsePgbench(t *testing.T) {
	t.Parallel()
	tps, err := parsePgbench("number of transactions actually processed: 1000\ntps = 38123.456789 (without initial connection time)\n")
	require.NoError(t, err)
	assert.InDelta(t, 38123.456789, tps, 1e-6)
	_, err = parsePgbench("pgbench: error: connection refused")
	assert.Error(t, err)
}

func TestParseProcStat(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		give string
		want time.Duration
	}{
		{"plain", "42 (saas) S 1 42 42 0 -1 4194560 100 0 0 0 150 25 0 0 20 0 8 0", 1750 * time.Millisecond},
		{"name with spaces and parens", "42 (a) b) S 1 42 42 0 -1 4194560 100 0 0 0 3 4 0 0", 70 * time.Millisecond},
		{"truncated", "42 (saas) S 1", 0},
		{"garbage", "nothing here", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, parseProcStat(tt.give))
		})
	}
}

func TestLuaString(t *testing.T) {
	t.Parallel()
	assert.Equal(t, `"{\"name\":\"a\\\\b\"}"`, luaString(`{"name":"a\\b"}`))
	assert.Equal(t, `"line\010"`, luaString("line\n"))
}

func TestGoLoaderCountsAnswersAndRefusals(t *testing.T) {
	t.Parallel()
	var seen atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := seen.Add(1)
		if r.Header.Get("Authorization") != "Bearer t" || r.Method != "POST" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		if n%2 == 0 {
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		w.WriteHeader(http.StatusCreated)
	}))
	defer srv.Close()
	g := &goLoader{conns: 4}
	r, err := g.run(t.Context(), request{Method: "POST", URL: srv.URL, Header: map[string]string{"Authorization": "Bearer t"}, Body: "{}"}, 200*time.Millisecond)
	require.NoError(t, err)
	require.Positive(t, r.Requests)
	// Requests cut by the end of the run are not counted: at most one per
	// connection.
	assert.LessOrEqual(t, r.Requests, seen.Load())
	assert.GreaterOrEqual(t, r.Requests, seen.Load()-int64(g.conns))
	assert.Positive(t, r.Non2xx, "the 429s are counted as non-2xx")
	assert.Error(t, r.check())
}

func TestIssuerTokensAndJWKS(t *testing.T) {
	t.Parallel()
	iss, err := newIssuer()
	require.NoError(t, err)
	assert.Len(t, iss.secretString(), 64)
	hs, err := iss.hs256("u1")
	require.NoError(t, err)
	_, err = jwt.Parse(hs, func(*jwt.Token) (any, error) { return []byte(iss.secretString()), nil }, jwt.WithValidMethods([]string{"HS256"}))
	require.NoError(t, err, "HS256 tokens verify with JWT_SECRET as the server reads it")

	// The ES256 token verifies with the key rebuilt from the served JWKS.
	body, err := iss.jwks()
	require.NoError(t, err)
	var set struct {
		Keys []struct{ Kid, X, Y string }
	}
	require.NoError(t, json.Unmarshal(body, &set))
	require.Len(t, set.Keys, 1)
	x, err := base64.RawURLEncoding.DecodeString(set.Keys[0].X)
	require.NoError(t, err)
	y, err := base64.RawURLEncoding.DecodeString(set.Keys[0].Y)
	require.NoError(t, err)
	pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), append(append([]byte{4}, x...), y...))
	require.NoError(t, err)
	es, err := iss.es256("u1")
	require.NoError(t, err)
	tok, err := jwt.Parse(es, func(*jwt.Token) (any, error) { return pub, nil }, jwt.WithValidMethods([]string{"ES256"}))
	require.NoError(t, err)
	assert.Equal(t, set.Keys[0].Kid, tok.Header["kid"])
}
