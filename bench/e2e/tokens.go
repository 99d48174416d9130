package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net"
	"net/http"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// issuer mints the benchmark's tokens: HS256 with the server's JWT_SECRET
// and ES256 with a P-256 key it publishes as a JWKS.
type issuer struct {
	secret []byte
	key    *ecdsa.PrivateKey
	kid    string
}

func newIssuer() (*issuer, error) {
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return nil, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	return &issuer{secret: secret, key: key, kid: "bench-es256"}, nil
}

// secretString is JWT_SECRET: the secret's raw bytes as hex text, so the
// environment carries it unchanged.
func (i *issuer) secretString() string {
	const hex = "0123456789abcdef"
	b := make([]byte, 0, 2*len(i.secret))
	for _, c := range i.secret {
		b = append(b, hex[c>>4], hex[c&0x0f])
	}
	return string(b)
}

func (i *issuer) claims(sub string) jwt.MapClaims {
	now := time.Now()
	return jwt.MapClaims{
		"sub": sub, "email": sub + "@bench.example", "email_verified": true, "name": "Bench " + sub,
		"iat": now.Unix(), "exp": now.Add(2 * time.Hour).Unix(),
	}
}

func (i *issuer) hs256(sub string) (string, error) {
	return jwt.NewWithClaims(jwt.SigningMethodHS256, i.claims(sub)).SignedString([]byte(i.secretString()))
}

func (i *issuer) es256(sub string) (string, error) {
	t := jwt.NewWithClaims(jwt.SigningMethodES256, i.claims(sub))
	t.Header["kid"] = i.kid
	return t.SignedString(i.key)
}

// jwks is the public key set in RFC 7517 form.
func (i *issuer) jwks() ([]byte, error) {
	pub, err := i.key.PublicKey.Bytes() // uncompressed point: 0x04 || X || Y
	if err != nil {
		return nil, err
	}
	enc := base64.RawURLEncoding.EncodeToString
	return json.Marshal(map[string]any{"keys": []map[string]string{{
		"kty": "EC", "crv": "P-256", "alg": "ES256", "use": "sig", "kid": i.kid,
		"x": enc(pub[1:33]), "y": enc(pub[33:65]),
	}}})
}

// serveJWKS serves the key set on a loopback port and returns its URL and
// a function that stops the server.
func (i *issuer) serveJWKS() (string, func(), error) {
	body, err := i.jwks()
	if err != nil {
		return "", nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	}), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return "http://" + ln.Addr().String() + "/jwks.json", func() { _ = srv.Close() }, nil
}
