package authtest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/MicahParks/jwkset"
	"github.com/golang-jwt/jwt/v5"

	"github.com/omnistack/omnistack/auth"
)

// Claims are a token's claims. A nil value removes a default claim.
type Claims = jwt.MapClaims

// Key is one signing key of an [Issuer].
type Key struct {
	ID     string
	Alg    string
	Signer crypto.Signer
}

// Public returns the key's public half.
func (k *Key) Public() crypto.PublicKey { return k.Signer.Public() }

// Options tunes an Issuer. The zero value serves the JWKS at
// /.well-known/jwks.json with the server's URL as issuer.
type Options struct {
	// JWKSPath is where the key set is served. Default:
	// "/.well-known/jwks.json" (Supabase: "/auth/v1/.well-known/jwks.json").
	JWKSPath string
	// IssuerPath is appended to the server URL to form the iss claim
	// (Supabase: "/auth/v1"). Default: none.
	IssuerPath string
	// Now is the clock of minted iat and exp. Default: time.Now.
	Now func() time.Time
}

// Issuer is a token issuer for tests. It is safe for concurrent use.
type Issuer struct {
	srv    *httptest.Server
	mux    *http.ServeMux
	opts   Options
	secret []byte

	mu        sync.Mutex
	current   map[string]*Key // alg → key that Token signs with
	published []*Key
	down      bool
	fetches   atomic.Int64
	seq       int
}

// NewIssuer starts an issuer with one published key per algorithm
// (RS256, ES256, EdDSA) and a random 32-byte HS256 secret. It stops when
// the test ends.
func NewIssuer(t testing.TB, opts Options) *Issuer {
	t.Helper()
	if opts.JWKSPath == "" {
		opts.JWKSPath = "/.well-known/jwks.json"
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	i := &Issuer{opts: opts, current: map[string]*Key{}, secret: make([]byte, 32)}
	_, _ = rand.Read(i.secret)
	for _, alg := range []string{"RS256", "ES256", "EdDSA"} {
		i.Rotate(t, alg)
	}
	i.mux = http.NewServeMux()
	i.mux.HandleFunc("GET "+opts.JWKSPath, i.serveJWKS)
	i.srv = httptest.NewServer(i.mux)
	t.Cleanup(i.srv.Close)
	return i
}

// URL is the issuer's iss claim: the server URL plus Options.IssuerPath.
func (i *Issuer) URL() string { return i.srv.URL + i.opts.IssuerPath }

// ServerURL is the bare URL of the test server.
func (i *Issuer) ServerURL() string { return i.srv.URL }

// JWKSURL is where the key set is served.
func (i *Issuer) JWKSURL() string { return i.srv.URL + i.opts.JWKSPath }

// Secret is the HS256 secret.
func (i *Issuer) Secret() []byte { return slices.Clone(i.secret) }

// Client is an HTTP client for the test server.
func (i *Issuer) Client() *http.Client { return i.srv.Client() }

// Transport returns an http.RoundTripper that answers requests from the
// issuer's handler in process, without a connection: for verifiers that
// run inside a testing/synctest bubble, whose clock would not move while
// a goroutine waits on the network. Use it as the Transport of
// Config.HTTPClient.
func (i *Issuer) Transport() http.RoundTripper { return inProcess{i.mux} }

type inProcess struct{ h http.Handler }

func (t inProcess) RoundTrip(r *http.Request) (*http.Response, error) {
	if err := r.Context().Err(); err != nil {
		return nil, err
	}
	w := httptest.NewRecorder()
	t.h.ServeHTTP(w, r)
	resp := w.Result()
	resp.Request = r
	return resp, nil
}

// Config returns a verifier Config that trusts this issuer: its JWKS, its
// HS256 secret and its iss.
func (i *Issuer) Config() auth.Config {
	return auth.Config{Secret: i.Secret(), JWKSURL: i.JWKSURL(), Issuer: i.URL(), HTTPClient: i.Client()}
}

// Fetches counts the JWKS requests served so far (outages included).
func (i *Issuer) Fetches() int { return int(i.fetches.Load()) }

// SetDown makes the JWKS endpoint answer 503 (true) or work again.
func (i *Issuer) SetDown(down bool) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.down = down
}

func (i *Issuer) serveJWKS(w http.ResponseWriter, r *http.Request) {
	i.fetches.Add(1)
	i.mu.Lock()
	down, keys := i.down, slices.Clone(i.published)
	i.mu.Unlock()
	if down {
		http.Error(w, "unavailable", http.StatusServiceUnavailable)
		return
	}
	set := jwkset.JWKSMarshal{Keys: []jwkset.JWKMarshal{}}
	for _, k := range keys {
		jwk, err := jwkset.NewJWKFromKey(k.Public(), jwkset.JWKOptions{Metadata: jwkset.JWKMetadataOptions{
			KID: k.ID, ALG: jwkset.ALG(k.Alg), USE: jwkset.UseSig,
		}})
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		set.Keys = append(set.Keys, jwk.Marshal())
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(set)
}

// NewKey generates a key for alg (RS256, ES256 or EdDSA) that is not
// published and not current: sign with it through [Issuer.SignWith] to
// present an unknown kid, or publish it with [Issuer.Publish].
func (i *Issuer) NewKey(t testing.TB, alg string) *Key {
	t.Helper()
	var s crypto.Signer
	var err error
	switch alg {
	case "RS256":
		s, err = rsa.GenerateKey(rand.Reader, 2048)
	case "ES256":
		s, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case "EdDSA":
		_, s, err = ed25519.GenerateKey(rand.Reader)
	default:
		t.Fatalf("authtest: NewKey: unsupported algorithm %q", alg)
	}
	if err != nil {
		t.Fatalf("authtest: generate %s key: %v", alg, err)
	}
	i.mu.Lock()
	i.seq++
	id := fmt.Sprintf("%s-%d", alg, i.seq)
	i.mu.Unlock()
	return &Key{ID: id, Alg: alg, Signer: s}
}

// Publish adds k to the served key set.
func (i *Issuer) Publish(k *Key) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.published = append(i.published, k)
}

// Unpublish removes the key with the given ID from the served key set.
func (i *Issuer) Unpublish(kid string) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.published = slices.DeleteFunc(i.published, func(k *Key) bool { return k.ID == kid })
}

// Rotate publishes a new key for alg and makes it the one Token signs
// with; the previous key stays published until [Issuer.Unpublish].
func (i *Issuer) Rotate(t testing.TB, alg string) *Key {
	t.Helper()
	k := i.NewKey(t, alg)
	i.mu.Lock()
	defer i.mu.Unlock()
	i.published = append(i.published, k)
	i.current[alg] = k
	return k
}

// Current returns the key Token signs alg tokens with.
func (i *Issuer) Current(alg string) *Key {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.current[alg]
}

// Merge returns the claims of cs in one map, later values winning.
func Merge(cs ...Claims) Claims {
	out := Claims{}
	for _, c := range cs {
		maps.Copy(out, c)
	}
	return out
}

// VerifiedEmail returns the claims of a verified address: email and
// email_verified true.
func VerifiedEmail(email string) Claims {
	return Claims{"email": email, "email_verified": true}
}

// ClerkOrg returns the claim of a Clerk v2 session token whose active
// organization is o: "o": {"id", "slg", "rol", "per"} (permissions joined
// by commas).
func ClerkOrg(o auth.Org) Claims {
	v2 := map[string]any{"id": o.ID, "slg": o.Slug, "rol": o.Role}
	if len(o.Permissions) > 0 {
		v2["per"] = strings.Join(o.Permissions, ",")
	}
	return Claims{"o": v2}
}

// ClerkOrgV1 returns the claims of a Clerk v1 session token whose active
// organization is o: org_id, org_slug, org_role ("org:" + o.Role) and
// org_permissions.
func ClerkOrgV1(o auth.Org) Claims {
	c := Claims{"org_id": o.ID, "org_slug": o.Slug, "org_role": "org:" + o.Role}
	if len(o.Permissions) > 0 {
		c["org_permissions"] = slices.Clone(o.Permissions)
	}
	return c
}

// Claims returns the default claims of a token: iss, sub "user-1", iat
// now and exp in an hour, overridden by extra (a nil value removes one).
func (i *Issuer) Claims(extra Claims) Claims {
	now := i.opts.Now()
	c := Claims{"iss": i.URL(), "sub": "user-1", "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}
	for k, v := range extra {
		if v == nil {
			delete(c, k)
			continue
		}
		c[k] = v
	}
	return c
}

// Token mints a token signed with alg (HS256, RS256, ES256 or EdDSA) over
// the default claims merged with extra.
func (i *Issuer) Token(t testing.TB, alg string, extra Claims) string {
	t.Helper()
	c := i.Claims(extra)
	if alg == "HS256" {
		tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(i.secret)
		if err != nil {
			t.Fatalf("authtest: sign HS256: %v", err)
		}
		return tok
	}
	k := i.Current(alg)
	if k == nil {
		t.Fatalf("authtest: no %s key", alg)
	}
	return i.SignWith(t, k, c)
}

// SignWith signs claims as they are (no defaults) with k, naming k.ID in
// the kid header.
func (i *Issuer) SignWith(t testing.TB, k *Key, claims Claims) string {
	t.Helper()
	tok := jwt.NewWithClaims(jwt.GetSigningMethod(k.Alg), claims)
	tok.Header["kid"] = k.ID
	s, err := tok.SignedString(k.Signer)
	if err != nil {
		t.Fatalf("authtest: sign %s: %v", k.Alg, err)
	}
	return s
}
