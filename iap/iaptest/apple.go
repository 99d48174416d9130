package iaptest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"testing"
	"time"
)

// The marker extensions Apple puts in its signing certificates.
var (
	OIDAppleLeaf         = asn1.ObjectIdentifier{1, 2, 840, 113635, 100, 6, 11, 1}
	OIDAppleIntermediate = asn1.ObjectIdentifier{1, 2, 840, 113635, 100, 6, 2, 1}
)

// AppleChainOptions shape an [AppleChain]. The zero value gives a chain
// Apple's own would pass for: a P-256 root, an intermediate and a leaf
// with their marker extensions, valid from 2020 to 2040.
type AppleChainOptions struct {
	// NoLeafOID leaves the leaf's marker extension out.
	NoLeafOID bool
	// NoIntermediateOID leaves the intermediate's marker extension out.
	NoIntermediateOID bool
	// LeafNotBefore and LeafNotAfter bound the leaf's validity. Default:
	// 2020-01-01 and 2040-01-01 UTC.
	LeafNotBefore, LeafNotAfter time.Time
}

// AppleChain is a certificate chain made at test time that signs JWS the
// way the App Store does ({"alg":"ES256","x5c":[leaf, intermediate,
// root]}). Trust its Root in the verifier under test.
type AppleChain struct {
	Root, Intermediate, Leaf *x509.Certificate
	// LeafKey signs; tests may sign what they like with it.
	LeafKey *ecdsa.PrivateKey
}

var (
	chainStart = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	chainEnd   = time.Date(2040, 1, 1, 0, 0, 0, 0, time.UTC)
)

// NewAppleChain makes a fresh chain.
func NewAppleChain(t testing.TB, opts AppleChainOptions) *AppleChain {
	t.Helper()
	rootKey := newKey(t)
	root := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "Test Apple Root CA - G3", Organization: []string{"Test"}},
		NotBefore:             chainStart,
		NotAfter:              chainEnd,
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	rootCert := create(t, root, root, &rootKey.PublicKey, rootKey)

	interKey := newKey(t)
	inter := &x509.Certificate{
		SerialNumber:          big.NewInt(2),
		Subject:               pkix.Name{CommonName: "Test Apple Worldwide Developer Relations CA", Organization: []string{"Test"}},
		NotBefore:             chainStart,
		NotAfter:              chainEnd,
		IsCA:                  true,
		BasicConstraintsValid: true,
		MaxPathLenZero:        true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	if !opts.NoIntermediateOID {
		inter.ExtraExtensions = []pkix.Extension{{Id: OIDAppleIntermediate, Value: asn1NULL}}
	}
	interCert := create(t, inter, rootCert, &interKey.PublicKey, rootKey)

	leafKey := newKey(t)
	leaf := &x509.Certificate{
		SerialNumber: big.NewInt(3),
		Subject:      pkix.Name{CommonName: "Test Prod ECC Mac App Store and iTunes Store Receipt Signing", Organization: []string{"Test"}},
		NotBefore:    chainStart,
		NotAfter:     chainEnd,
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	if !opts.LeafNotBefore.IsZero() {
		leaf.NotBefore = opts.LeafNotBefore
	}
	if !opts.LeafNotAfter.IsZero() {
		leaf.NotAfter = opts.LeafNotAfter
	}
	if !opts.NoLeafOID {
		leaf.ExtraExtensions = []pkix.Extension{{Id: OIDAppleLeaf, Value: asn1NULL}}
	}
	leafCert := create(t, leaf, interCert, &leafKey.PublicKey, interKey)
	return &AppleChain{Root: rootCert, Intermediate: interCert, Leaf: leafCert, LeafKey: leafKey}
}

// asn1NULL is the DER of an ASN.1 NULL, the value of Apple's markers.
var asn1NULL = []byte{0x05, 0x00}

func newKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatalf("iaptest: generate key: %v", err)
	}
	return k
}

func create(t testing.TB, tmpl, parent *x509.Certificate, pub *ecdsa.PublicKey, signer *ecdsa.PrivateKey) *x509.Certificate {
	t.Helper()
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, signer)
	if err != nil {
		t.Fatalf("iaptest: create certificate: %v", err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatalf("iaptest: parse certificate: %v", err)
	}
	return c
}

// RootPEM returns the root certificate as PEM, as APPLE_ROOT_CERT_FILE
// would hold it.
func (c *AppleChain) RootPEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Root.Raw})
}

// X5C returns the x5c header of the chain: leaf, intermediate and root in
// standard base64 DER.
func (c *AppleChain) X5C() []string {
	return []string{
		base64.StdEncoding.EncodeToString(c.Leaf.Raw),
		base64.StdEncoding.EncodeToString(c.Intermediate.Raw),
		base64.StdEncoding.EncodeToString(c.Root.Raw),
	}
}

// Sign returns payload, marshalled to JSON, as a compact JWS signed by the
// leaf with the header {"alg":"ES256","x5c":[...]}.
func (c *AppleChain) Sign(t testing.TB, payload any) string {
	t.Helper()
	body, err := json.Marshal(payload)
	if err != nil {
		t.Fatalf("iaptest: marshal payload: %v", err)
	}
	return c.SignJWS(t, map[string]any{"alg": "ES256", "x5c": c.X5C()}, body)
}

// SignJWS signs payload under any header with the leaf key (ES256, raw
// r||s), for tests of malformed headers.
func (c *AppleChain) SignJWS(t testing.TB, header any, payload []byte) string {
	t.Helper()
	h, err := json.Marshal(header)
	if err != nil {
		t.Fatalf("iaptest: marshal header: %v", err)
	}
	input := base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(payload)
	sum := sha256.Sum256([]byte(input))
	r, s, err := ecdsa.Sign(rand.Reader, c.LeafKey, sum[:])
	if err != nil {
		t.Fatalf("iaptest: sign: %v", err)
	}
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return input + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// Body returns the request body the App Store posts for a notification
// payload: {"signedPayload": "<JWS>"}.
func (c *AppleChain) Body(t testing.TB, notification any) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]string{"signedPayload": c.Sign(t, notification)})
	if err != nil {
		t.Fatalf("iaptest: marshal body: %v", err)
	}
	return b
}

// Roots returns the chain's root as the trusted roots of a verifier.
func (c *AppleChain) Roots() []*x509.Certificate { return []*x509.Certificate{c.Root} }
