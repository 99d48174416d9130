package apple

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"
)

// Reasons a signed payload is refused. Each is wrapped together with
// webhooks.ErrInvalidSignature (the JWS itself) or
// webhooks.ErrInvalidPayload (a verified payload for another app), so a
// caller can tell them apart with errors.Is.
var (
	// ErrMalformed: not a compact JWS, or its header, certificates or
	// payload do not decode.
	ErrMalformed = errors.New("iap/apple: malformed JWS")
	// ErrAlgorithm: the header's alg is not ES256.
	ErrAlgorithm = errors.New("iap/apple: algorithm is not ES256")
	// ErrChain: x5c does not hold exactly three certificates, or the leaf
	// and intermediate do not chain to a trusted root at the signed date
	// (the x509 error stays in the chain).
	ErrChain = errors.New("iap/apple: certificate chain")
	// ErrMarkerOID: the leaf or the intermediate lacks Apple's marker
	// extension.
	ErrMarkerOID = errors.New("iap/apple: certificate lacks Apple's marker OID")
	// ErrSignature: the signature does not verify with the leaf's key.
	ErrSignature = errors.New("iap/apple: bad signature")
	// ErrBundleID: the payload is for another app.
	ErrBundleID = errors.New("iap/apple: bundle ID mismatch")
	// ErrEnvironment: the payload is from another environment.
	ErrEnvironment = errors.New("iap/apple: environment mismatch")
)

// The marker extensions Apple's signing certificates carry.
var (
	oidLeaf         = asn1.ObjectIdentifier{1, 2, 840, 113635, 100, 6, 11, 1}
	oidIntermediate = asn1.ObjectIdentifier{1, 2, 840, 113635, 100, 6, 2, 1}
)

// maxJWSBytes bounds one JWS: three certificates and a payload are a few
// kilobytes.
const maxJWSBytes = 256 << 10

type jwsHeader struct {
	Alg string   `json:"alg"`
	X5C []string `json:"x5c"`
}

// jws is a parsed compact JWS whose signature and chain are not yet
// checked.
type jws struct {
	header  jwsHeader
	certs   []*x509.Certificate
	payload []byte
	input   []byte // base64url(header) "." base64url(payload)
	sig     []byte // r||s
}

// parseJWS splits and decodes a compact JWS whose header is
// {"alg":"ES256","x5c":[three certificates]}. It checks the shape only.
func parseJWS(s string) (*jws, error) {
	if len(s) > maxJWSBytes {
		return nil, fmt.Errorf("%w: longer than %d bytes", ErrMalformed, maxJWSBytes)
	}
	parts := strings.Split(s, ".")
	if len(parts) != 3 {
		return nil, fmt.Errorf("%w: %d parts, want 3", ErrMalformed, len(parts))
	}
	rawHeader, err := b64url(parts[0])
	if err != nil {
		return nil, fmt.Errorf("%w: header: %w", ErrMalformed, err)
	}
	var h jwsHeader
	if err := strictJSON(rawHeader, &h); err != nil {
		return nil, fmt.Errorf("%w: header: %w", ErrMalformed, err)
	}
	if h.Alg != "ES256" {
		return nil, fmt.Errorf("%w: alg %q", ErrAlgorithm, h.Alg)
	}
	if len(h.X5C) != 3 {
		return nil, fmt.Errorf("%w: x5c holds %d certificates, want 3", ErrChain, len(h.X5C))
	}
	certs := make([]*x509.Certificate, 2)
	for i := range certs { // the root in x5c is never trusted nor read
		der, err := base64.StdEncoding.Strict().DecodeString(h.X5C[i])
		if err != nil {
			return nil, fmt.Errorf("%w: x5c[%d]: %w", ErrMalformed, i, err)
		}
		if certs[i], err = x509.ParseCertificate(der); err != nil {
			return nil, fmt.Errorf("%w: x5c[%d]: %w", ErrMalformed, i, err)
		}
	}
	payload, err := b64url(parts[1])
	if err != nil {
		return nil, fmt.Errorf("%w: payload: %w", ErrMalformed, err)
	}
	sig, err := b64url(parts[2])
	if err != nil {
		return nil, fmt.Errorf("%w: signature: %w", ErrMalformed, err)
	}
	if len(sig) != 64 {
		return nil, fmt.Errorf("%w: signature of %d bytes, want 64 (r||s)", ErrSignature, len(sig))
	}
	return &jws{header: h, certs: certs, payload: payload, input: []byte(parts[0] + "." + parts[1]), sig: sig}, nil
}

// b64url decodes unpadded base64url, canonical encodings only.
func b64url(s string) ([]byte, error) {
	return base64.RawURLEncoding.Strict().DecodeString(s)
}

// strictJSON decodes one JSON value and nothing after it.
func strictJSON(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("trailing data")
	}
	return nil
}

// verify checks the chain leaf → x5c[1] → one of roots at time at, the
// marker OIDs and the ES256 signature.
func (j *jws) verify(roots *x509.CertPool, at time.Time) error {
	leaf, inter := j.certs[0], j.certs[1]
	if !hasExtension(leaf, oidLeaf) {
		return fmt.Errorf("%w: leaf %q", ErrMarkerOID, leaf.Subject.CommonName)
	}
	if !hasExtension(inter, oidIntermediate) {
		return fmt.Errorf("%w: intermediate %q", ErrMarkerOID, inter.Subject.CommonName)
	}
	inters := x509.NewCertPool()
	inters.AddCert(inter)
	chains, err := leaf.Verify(x509.VerifyOptions{
		Roots:         roots,
		Intermediates: inters,
		CurrentTime:   at,
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageAny},
	})
	if err != nil {
		return fmt.Errorf("%w: %w", ErrChain, err)
	}
	// The intermediate that carries the marker must be the one in the
	// chain, not skipped by a root that signed the leaf directly.
	ok := false
	for _, c := range chains {
		if len(c) == 3 && c[1].Equal(inter) {
			ok = true
			break
		}
	}
	if !ok {
		return fmt.Errorf("%w: leaf does not chain through x5c[1]", ErrChain)
	}
	pub, isEC := leaf.PublicKey.(*ecdsa.PublicKey)
	if !isEC || pub.Curve != elliptic.P256() {
		return fmt.Errorf("%w: leaf key is not P-256", ErrSignature)
	}
	sum := sha256.Sum256(j.input)
	r, s := new(big.Int).SetBytes(j.sig[:32]), new(big.Int).SetBytes(j.sig[32:])
	if !ecdsa.Verify(pub, sum[:], r, s) {
		return ErrSignature
	}
	return nil
}

func hasExtension(c *x509.Certificate, oid asn1.ObjectIdentifier) bool {
	for _, e := range c.Extensions {
		if e.Id.Equal(oid) {
			return true
		}
	}
	return false
}
