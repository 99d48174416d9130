package apple_test

import (
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/iap/apple"
	"github.com/omnistack/omnistack/iap/iaptest"
	"github.com/omnistack/omnistack/webhooks"
)

func TestVerifyAcceptsAChainWithTheMarkerOIDs(t *testing.T) {
	t.Parallel()
	c := iaptest.NewAppleChain(t, iaptest.AppleChainOptions{})
	v := newVerifier(t, c.Root)

	ev, err := v.Verify(t.Context(), http.Header{}, body(t, c, note{status: apple.StatusActive}))
	require.NoError(t, err)
	assert.Equal(t, "9ad56bd2-0bc6-42e0-af24-fd996d87a1e6", ev.ID)
	assert.Equal(t, apple.TypeSubscribed, ev.Type)
	assert.Equal(t, signedAt, ev.OccurredAt)

	n, err := apple.DecodeNotification(ev.Payload)
	require.NoError(t, err)
	require.NotNil(t, n.Data)
	assert.Empty(t, n.Data.SignedTransactionInfo, "the stored payload holds the decoded transaction, not its JWS")
	require.NotNil(t, n.Data.Transaction)
	assert.Equal(t, origTxID, n.Data.Transaction.OriginalTransactionID)
	assert.Equal(t, userID, n.Data.Transaction.AppAccountToken)
	require.NotNil(t, n.Data.RenewalInfo)
	assert.Equal(t, origTxID, n.Data.RenewalInfo.OriginalTransactionID)
	assert.Equal(t, apple.StatusActive, n.Data.Status)
}

func TestVerifyAcceptsATestNotificationWithoutTransaction(t *testing.T) {
	t.Parallel()
	c := iaptest.NewAppleChain(t, iaptest.AppleChainOptions{})
	v := newVerifier(t, c.Root)
	ev, err := v.Verify(t.Context(), nil, c.Body(t, map[string]any{
		"notificationType": "TEST", "notificationUUID": "3b5f1c9a-0000-4000-8000-000000000001", "signedDate": ms(signedAt),
		"data": map[string]any{"appAppleId": 1234, "bundleId": bundleID, "environment": "Sandbox"},
	}))
	require.NoError(t, err)
	assert.Equal(t, "TEST", ev.Type)
}

// refusal is a delivery that must fail verification for one reason.
type refusal struct {
	name string
	body func(t *testing.T, c *iaptest.AppleChain) []byte
	// want are the errors the failure wraps: a webhooks error (the HTTP
	// answer) and this package's reason.
	want []error
	// check, when set, inspects the error further.
	check func(t *testing.T, err error)
}

func signedPayloadBody(t *testing.T, jws string) []byte {
	b, err := json.Marshal(map[string]string{"signedPayload": jws})
	require.NoError(t, err)
	return b
}

func refusals() []refusal {
	invalidSig := webhooks.ErrInvalidSignature
	return []refusal{
		{
			name: "wrong root",
			body: func(t *testing.T, _ *iaptest.AppleChain) []byte {
				other := iaptest.NewAppleChain(t, iaptest.AppleChainOptions{})
				return body(t, other, note{})
			},
			want: []error{invalidSig, apple.ErrChain},
			check: func(t *testing.T, err error) {
				_, ok := errors.AsType[x509.UnknownAuthorityError](err)
				assert.True(t, ok, "the x509 error names the unknown authority: %v", err)
			},
		},
		{
			name: "leaf without marker OID",
			body: func(t *testing.T, _ *iaptest.AppleChain) []byte { return nil }, // replaced in the test: needs its own chain
			want: []error{invalidSig, apple.ErrMarkerOID},
		},
		{
			name: "intermediate without marker OID",
			body: func(t *testing.T, _ *iaptest.AppleChain) []byte { return nil },
			want: []error{invalidSig, apple.ErrMarkerOID},
		},
		{
			name: "expired leaf",
			body: func(t *testing.T, _ *iaptest.AppleChain) []byte { return nil },
			want: []error{invalidSig, apple.ErrChain},
			check: func(t *testing.T, err error) {
				ce, ok := errors.AsType[x509.CertificateInvalidError](err)
				require.True(t, ok, "an x509 validity error: %v", err)
				assert.Equal(t, x509.Expired, ce.Reason)
			},
		},
		{
			name: "bad signature over a valid chain",
			body: func(t *testing.T, c *iaptest.AppleChain) []byte {
				jws := c.Sign(t, payload(t, c, note{}))
				parts := strings.Split(jws, ".")
				sig, err := base64.RawURLEncoding.DecodeString(parts[2])
				require.NoError(t, err)
				sig[10] ^= 0x01
				return signedPayloadBody(t, parts[0]+"."+parts[1]+"."+base64.RawURLEncoding.EncodeToString(sig))
			},
			want: []error{invalidSig, apple.ErrSignature},
		},
		{
			name: "payload changed under a valid signature",
			body: func(t *testing.T, c *iaptest.AppleChain) []byte {
				jws := c.Sign(t, payload(t, c, note{}))
				parts := strings.Split(jws, ".")
				other := c.Sign(t, payload(t, c, note{uuid: "00000000-0000-4000-8000-000000000000"}))
				return signedPayloadBody(t, parts[0]+"."+strings.Split(other, ".")[1]+"."+parts[2])
			},
			want: []error{invalidSig, apple.ErrSignature},
		},
		{
			name: "alg ES384",
			body: func(t *testing.T, c *iaptest.AppleChain) []byte {
				p, err := json.Marshal(payload(t, c, note{}))
				require.NoError(t, err)
				return signedPayloadBody(t, c.SignJWS(t, map[string]any{"alg": "ES384", "x5c": c.X5C()}, p))
			},
			want: []error{invalidSig, apple.ErrAlgorithm},
		},
		{
			name: "alg none",
			body: func(t *testing.T, c *iaptest.AppleChain) []byte {
				p, err := json.Marshal(payload(t, c, note{}))
				require.NoError(t, err)
				return signedPayloadBody(t, c.SignJWS(t, map[string]any{"alg": "none", "x5c": c.X5C()}, p))
			},
			want: []error{invalidSig, apple.ErrAlgorithm},
		},
		{
			name: "wrong bundle ID",
			body: func(t *testing.T, c *iaptest.AppleChain) []byte {
				return body(t, c, note{bundle: "com.example.other"})
			},
			want: []error{webhooks.ErrInvalidPayload, apple.ErrBundleID},
		},
		{
			name: "wrong bundle ID in the transaction",
			body: func(t *testing.T, c *iaptest.AppleChain) []byte {
				return body(t, c, note{txBundle: "com.example.other"})
			},
			want: []error{webhooks.ErrInvalidPayload, apple.ErrBundleID},
		},
		{
			name: "wrong environment",
			body: func(t *testing.T, c *iaptest.AppleChain) []byte {
				return body(t, c, note{env: apple.EnvironmentProduction})
			},
			want: []error{webhooks.ErrInvalidPayload, apple.ErrEnvironment},
		},
		{
			name: "malformed JWS: four parts",
			body: func(t *testing.T, _ *iaptest.AppleChain) []byte { return signedPayloadBody(t, "a.b.c.d") },
			want: []error{invalidSig, apple.ErrMalformed},
		},
		{
			name: "malformed JWS: not base64",
			body: func(t *testing.T, _ *iaptest.AppleChain) []byte { return signedPayloadBody(t, "a.b.c") },
			want: []error{invalidSig, apple.ErrMalformed},
		},
		{
			name: "body without signedPayload",
			body: func(t *testing.T, _ *iaptest.AppleChain) []byte { return []byte(`{"payload":"x"}`) },
			want: []error{webhooks.ErrInvalidPayload, apple.ErrMalformed},
		},
		{
			name: "body not JSON",
			body: func(t *testing.T, _ *iaptest.AppleChain) []byte { return []byte(`signedPayload=x`) },
			want: []error{webhooks.ErrInvalidPayload, apple.ErrMalformed},
		},
		{
			name: "x5c with one certificate",
			body: func(t *testing.T, c *iaptest.AppleChain) []byte {
				p, err := json.Marshal(payload(t, c, note{}))
				require.NoError(t, err)
				return signedPayloadBody(t, c.SignJWS(t, map[string]any{"alg": "ES256", "x5c": c.X5C()[:1]}, p))
			},
			want: []error{invalidSig, apple.ErrChain},
		},
		{
			name: "x5c missing",
			body: func(t *testing.T, c *iaptest.AppleChain) []byte {
				p, err := json.Marshal(payload(t, c, note{}))
				require.NoError(t, err)
				return signedPayloadBody(t, c.SignJWS(t, map[string]any{"alg": "ES256", "x5cwrong": c.X5C()}, p))
			},
			want: []error{invalidSig, apple.ErrChain},
		},
		{
			name: "signed transaction from a foreign chain",
			body: func(t *testing.T, c *iaptest.AppleChain) []byte {
				other := iaptest.NewAppleChain(t, iaptest.AppleChainOptions{})
				p := payload(t, c, note{})
				p["data"].(map[string]any)["signedTransactionInfo"] = other.Sign(t, transaction(note{}.withDefaults()))
				return c.Body(t, p)
			},
			want: []error{invalidSig, apple.ErrChain},
		},
	}
}

func TestVerifyRefusesEachFailureAlone(t *testing.T) {
	t.Parallel()
	// Chains whose own flaw is the failure: the verifier trusts their
	// root, so nothing else is wrong.
	special := map[string]iaptest.AppleChainOptions{
		"leaf without marker OID":         {NoLeafOID: true},
		"intermediate without marker OID": {NoIntermediateOID: true},
		"expired leaf": {
			LeafNotBefore: signedAt.Add(-400 * 24 * time.Hour),
			LeafNotAfter:  signedAt.Add(-time.Hour),
		},
	}
	for _, tt := range refusals() {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := iaptest.NewAppleChain(t, special[tt.name])
			v := newVerifier(t, c.Root)
			b := tt.body(t, c)
			if b == nil {
				b = body(t, c, note{})
			}
			_, err := v.Verify(t.Context(), http.Header{}, b)
			require.Error(t, err)
			for _, want := range tt.want {
				assert.ErrorIs(t, err, want)
			}
			if tt.check != nil {
				tt.check(t, err)
			}
		})
	}
}

func TestVerifyEvaluatesTheChainAtTheSignedDate(t *testing.T) {
	t.Parallel()
	// The leaf was valid when Apple signed, and has expired since:
	// accepted, as Apple's libraries do without online checks.
	c := iaptest.NewAppleChain(t, iaptest.AppleChainOptions{
		LeafNotBefore: signedAt.Add(-time.Hour), LeafNotAfter: signedAt.Add(time.Hour),
	})
	v := newVerifier(t, c.Root)
	_, err := v.Verify(t.Context(), nil, body(t, c, note{}))
	require.NoError(t, err)
	_, err = v.Verify(t.Context(), nil, body(t, c, note{signed: signedAt.Add(2 * time.Hour)}))
	require.ErrorIs(t, err, apple.ErrChain, "signed after the leaf expired")
}

func TestVerifyChecksAppAppleIDInProduction(t *testing.T) {
	t.Parallel()
	c := iaptest.NewAppleChain(t, iaptest.AppleChainOptions{})
	tests := []struct {
		name string
		id   int64
		want error
	}{
		{name: "same", id: 1234},
		{name: "other", id: 9999, want: apple.ErrBundleID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v, err := apple.New(bundleID, []*x509.Certificate{c.Root}, apple.Config{AppAppleID: tt.id})
			require.NoError(t, err)
			_, err = v.Verify(t.Context(), nil, body(t, c, note{env: apple.EnvironmentProduction}))
			if tt.want == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tt.want)
		})
	}
}

func TestNewValidatesConfig(t *testing.T) {
	t.Parallel()
	c := iaptest.NewAppleChain(t, iaptest.AppleChainOptions{})
	roots := []*x509.Certificate{c.Root}
	tests := []struct {
		name   string
		bundle string
		roots  []*x509.Certificate
		cfg    apple.Config
		want   string
	}{
		{name: "bundle", roots: roots, want: "bundle ID"},
		{name: "roots", bundle: bundleID, want: "root"},
		{name: "environment", bundle: bundleID, roots: roots, cfg: apple.Config{Environment: "Xcode"}, want: "Config.Environment"},
		{name: "app id", bundle: bundleID, roots: roots, cfg: apple.Config{AppAppleID: -1}, want: "Config.AppAppleID"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := apple.New(tt.bundle, tt.roots, tt.cfg)
			require.ErrorContains(t, err, tt.want)
		})
	}
}

func TestParseRootsReadsPEMAndDER(t *testing.T) {
	t.Parallel()
	c := iaptest.NewAppleChain(t, iaptest.AppleChainOptions{})
	tests := []struct {
		name string
		give []byte
	}{
		{name: "PEM", give: c.RootPEM()},
		{name: "DER", give: c.Root.Raw},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			roots, err := apple.ParseRoots(tt.give)
			require.NoError(t, err)
			require.Len(t, roots, 1)
			assert.True(t, roots[0].Equal(c.Root))
		})
	}
	_, err := apple.ParseRoots([]byte("not a certificate"))
	require.Error(t, err)
}
