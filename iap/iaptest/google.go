package iaptest

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// GoogleOIDC plays Google's token issuer for Pub/Sub push tests: it signs
// RS256 ID tokens and serves their key set from an httptest server, which
// is closed when the test ends.
type GoogleOIDC struct {
	key *rsa.PrivateKey
	kid string
	srv *httptest.Server
}

// NewGoogleOIDC starts an issuer with a fresh RSA key.
func NewGoogleOIDC(t testing.TB) *GoogleOIDC {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatalf("iaptest: generate RSA key: %v", err)
	}
	g := &GoogleOIDC{key: key, kid: "test-key-1"}
	g.srv = httptest.NewServer(http.HandlerFunc(g.serveJWKS))
	t.Cleanup(g.srv.Close)
	return g
}

// JWKSURL is the URL of the key set (GOOGLE_OIDC_JWKS_URL in tests).
func (g *GoogleOIDC) JWKSURL() string { return g.srv.URL + "/oauth2/v3/certs" }

// JWKS returns the key set as Google serves it.
func (g *GoogleOIDC) JWKS() []byte {
	pub := g.key.PublicKey
	b, _ := json.Marshal(map[string]any{"keys": []map[string]string{{
		"kty": "RSA", "alg": "RS256", "use": "sig", "kid": g.kid,
		"n": base64.RawURLEncoding.EncodeToString(pub.N.Bytes()),
		"e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes()),
	}}})
	return b
}

func (g *GoogleOIDC) serveJWKS(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/oauth2/v3/certs" {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(g.JWKS())
}

// PushClaims are the claims of a Pub/Sub push token: issuer
// https://accounts.google.com, the audience, the push service account's
// e-mail with email_verified true, issued at now and valid for an hour.
func PushClaims(audience, email string, now time.Time) jwt.MapClaims {
	return jwt.MapClaims{
		"iss":            "https://accounts.google.com",
		"aud":            audience,
		"azp":            "1234567890",
		"sub":            "1234567890",
		"email":          email,
		"email_verified": true,
		"iat":            now.Unix(),
		"exp":            now.Add(time.Hour).Unix(),
	}
}

// Token signs claims with the issuer's key (RS256, with its kid).
func (g *GoogleOIDC) Token(t testing.TB, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	tok.Header["kid"] = g.kid
	s, err := tok.SignedString(g.key)
	if err != nil {
		t.Fatalf("iaptest: sign token: %v", err)
	}
	return s
}

// PushBody returns a Pub/Sub push request body carrying notification
// (marshalled to JSON, then standard base64) as message data.
func PushBody(t testing.TB, messageID string, notification any) []byte {
	t.Helper()
	data, err := json.Marshal(notification)
	if err != nil {
		t.Fatalf("iaptest: marshal notification: %v", err)
	}
	return PushBodyData(t, messageID, base64.StdEncoding.EncodeToString(data))
}

// PushBodyData returns a push body whose message data is the given
// string as is, for tests of malformed data.
func PushBodyData(t testing.TB, messageID, data string) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]any{
		"message": map[string]any{
			"attributes": map[string]string{}, "data": data,
			"messageId": messageID, "message_id": messageID,
			"publishTime": "2026-11-20T10:00:00.123Z", "publish_time": "2026-11-20T10:00:00.123Z",
		},
		"subscription": "projects/test/subscriptions/play-rtdn",
	})
	if err != nil {
		t.Fatalf("iaptest: marshal push: %v", err)
	}
	return b
}

// PlayAPI is a fake of the Play Developer API's purchases.subscriptionsv2.get
// (GET /androidpublisher/v3/applications/{package}/purchases/subscriptionsv2/tokens/{token}),
// answering the JSON set for each token and 404 otherwise. It requires a
// bearer token. Point the verifier's base URL at URL().
type PlayAPI struct {
	srv   *httptest.Server
	mu    sync.Mutex
	subs  map[string][]byte // package + "/" + token → JSON
	calls int
}

// NewPlayAPI starts the fake; it is closed when the test ends.
func NewPlayAPI(t testing.TB) *PlayAPI {
	t.Helper()
	p := &PlayAPI{subs: map[string][]byte{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /androidpublisher/v3/applications/{pkg}/purchases/subscriptionsv2/tokens/{token}", p.get)
	p.srv = httptest.NewServer(mux)
	t.Cleanup(p.srv.Close)
	return p
}

// URL is the base URL of the fake.
func (p *PlayAPI) URL() string { return p.srv.URL }

// Set makes the fake answer subscription (marshalled to JSON) for the
// package's purchase token.
func (p *PlayAPI) Set(t testing.TB, pkg, token string, subscription any) {
	t.Helper()
	b, err := json.Marshal(subscription)
	if err != nil {
		t.Fatalf("iaptest: marshal subscription: %v", err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.subs[pkg+"/"+token] = b
}

// Calls counts the requests served.
func (p *PlayAPI) Calls() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.calls
}

func (p *PlayAPI) get(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	p.calls++
	b, ok := p.subs[r.PathValue("pkg")+"/"+r.PathValue("token")]
	p.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if len(r.Header.Get("Authorization")) <= len("Bearer ") {
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(`{"error":{"code":401,"message":"Request is missing required authentication credential.","status":"UNAUTHENTICATED"}}`))
		return
	}
	if !ok {
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte(`{"error":{"code":404,"message":"The purchase token was not found.","status":"NOT_FOUND"}}`))
		return
	}
	_, _ = w.Write(b)
}
