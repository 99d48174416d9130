package webhooks_test

import (
	"encoding/base64"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/webhooks"
	"github.com/omnistack/omnistack/webhooks/webhookstest"
)

// The public Standard Webhooks test vector (protocols.md §2, from
// standard-webhooks libraries/go/webhook_test.go and svix go/webhook_test.go).
const (
	vecSecret  = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	vecMsgID   = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	vecTS      = 1614265330
	vecPayload = `{"test": 2432232314}`
	vecSig     = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
	// The Ed25519 vector of the same message (svix worker.rs): a "v1a"
	// entry, which an HMAC verifier must skip.
	vecSigV1a = "v1a,hnO3f9T8Ytu9HwrXslvumlUpqtNVqkhqw/enGzPCXe5BdqzCInXqYXFymVJaA7AZdpXwVLPo3mNl8EM+m7TBAg=="
)

var vecTime = time.Unix(vecTS, 0)

func fixedNow(t time.Time) func() time.Time { return func() time.Time { return t } }

func headers(prefix, id, ts, sig string) http.Header {
	h := http.Header{}
	if id != "" {
		h.Set(prefix+"-id", id)
	}
	if ts != "" {
		h.Set(prefix+"-timestamp", ts)
	}
	if sig != "" {
		h.Set(prefix+"-signature", sig)
	}
	return h
}

func vecHeaders(prefix, sig string) http.Header {
	return headers(prefix, vecMsgID, strconv.Itoa(vecTS), sig)
}

func newStandard(t *testing.T, now time.Time, secrets ...string) *webhooks.Standard {
	t.Helper()
	v, err := webhooks.NewStandard(secrets, webhooks.StandardConfig{Now: fixedNow(now)})
	require.NoError(t, err)
	return v
}

func TestStandardVector(t *testing.T) {
	t.Parallel()
	secrets := map[string]string{
		"whsec":        vecSecret,
		"bare":         vecSecret[len("whsec_"):],
		"supabase v1,": "v1," + vecSecret,
	}
	for name, secret := range secrets {
		for _, prefix := range []string{"svix", "webhook"} {
			t.Run(name+"/"+prefix, func(t *testing.T) {
				t.Parallel()
				v := newStandard(t, vecTime, secret)
				assert.Equal(t, vecSig, v.Sign(vecMsgID, vecTime, []byte(vecPayload)), "our signer makes the vector")
				id, ts, err := v.VerifySignature(vecHeaders(prefix, vecSig), []byte(vecPayload))
				require.NoError(t, err)
				assert.Equal(t, vecMsgID, id)
				assert.True(t, ts.Equal(vecTime))
			})
		}
	}
}

func TestStandardSignatureLists(t *testing.T) {
	t.Parallel()
	other := "v1,Zm9vYmFyYmF6Zm9vYmFyYmF6Zm9vYmFyYmF6Zm9vYmE="
	tests := []struct {
		name, header string
		wantOK       bool
	}{
		{"only", vecSig, true},
		{"space separated, match last", other + " " + vecSig, true},
		{"space separated, match first", vecSig + " " + other, true},
		{"comma-space as Supabase joins", other + ", " + vecSig, true},
		{"comma-space, match first", vecSig + ", " + other, true},
		{"with v1a entry", vecSigV1a + " " + vecSig, true},
		{"v1a only", vecSigV1a, false},
		{"wrong version prefix", "v2," + vecSig[3:], false},
		{"no version", vecSig[3:], false},
		{"other signature only", other, false},
		{"truncated", vecSig[:len(vecSig)-2], false},
		{"empty entries", "   ,  v1, ,", false},
		{"lower-cased", "v1,g0hm9sse+otpjtgt/tmiktsyzle3ufjelvlnioljjoe=", false},
	}
	v := newStandard(t, vecTime, vecSecret)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, _, err := v.VerifySignature(vecHeaders("webhook", tt.header), []byte(vecPayload))
			if tt.wantOK {
				require.NoError(t, err)
			} else {
				require.ErrorIs(t, err, webhooks.ErrInvalidSignature)
			}
		})
	}
}

func TestStandardRejects(t *testing.T) {
	t.Parallel()
	ts := strconv.Itoa(vecTS)
	tests := []struct {
		name    string
		now     time.Time
		secrets []string
		h       http.Header
		body    string
		want    error
	}{
		{"tampered body", vecTime, []string{vecSecret}, vecHeaders("svix", vecSig), `{"test": 2432232315}`, webhooks.ErrInvalidSignature},
		{"tampered id", vecTime, []string{vecSecret}, headers("svix", vecMsgID+"x", ts, vecSig), vecPayload, webhooks.ErrInvalidSignature},
		{"tampered timestamp", vecTime, []string{vecSecret}, headers("svix", vecMsgID, strconv.Itoa(vecTS+1), vecSig), vecPayload, webhooks.ErrInvalidSignature},
		{"wrong secret", vecTime, []string{"whsec_" + base64.StdEncoding.EncodeToString([]byte("another secret of some bytes"))}, vecHeaders("svix", vecSig), vecPayload, webhooks.ErrInvalidSignature},
		{"too old", vecTime.Add(5*time.Minute + time.Second), []string{vecSecret}, vecHeaders("svix", vecSig), vecPayload, webhooks.ErrTimestamp},
		{"too new", vecTime.Add(-5*time.Minute - time.Second), []string{vecSecret}, vecHeaders("svix", vecSig), vecPayload, webhooks.ErrTimestamp},
		{"non-integer timestamp", vecTime, []string{vecSecret}, headers("svix", vecMsgID, "1614265330.5", vecSig), vecPayload, webhooks.ErrInvalidSignature},
		{"missing id", vecTime, []string{vecSecret}, headers("svix", "", ts, vecSig), vecPayload, webhooks.ErrMissingHeaders},
		{"missing timestamp", vecTime, []string{vecSecret}, headers("svix", vecMsgID, "", vecSig), vecPayload, webhooks.ErrMissingHeaders},
		{"missing signature", vecTime, []string{vecSecret}, headers("webhook", vecMsgID, ts, ""), vecPayload, webhooks.ErrMissingHeaders},
		{"no headers", vecTime, []string{vecSecret}, http.Header{}, vecPayload, webhooks.ErrMissingHeaders},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v := newStandard(t, tt.now, tt.secrets...)
			_, _, err := v.VerifySignature(tt.h, []byte(tt.body))
			require.ErrorIs(t, err, tt.want)
		})
	}
}

func TestStandardToleranceEdges(t *testing.T) {
	t.Parallel()
	for _, d := range []time.Duration{5 * time.Minute, -5 * time.Minute, 0} {
		v := newStandard(t, vecTime.Add(d), vecSecret)
		_, _, err := v.VerifySignature(vecHeaders("svix", vecSig), []byte(vecPayload))
		require.NoError(t, err, "offset %s is within the tolerance", d)
	}
}

func TestStandardRotation(t *testing.T) {
	t.Parallel()
	oldSecret := "whsec_" + base64.StdEncoding.EncodeToString([]byte("the old secret, 24 bytes"))
	newSecret := vecSecret
	body := []byte(`{"type":"user.created","data":{"id":"user_1"}}`)
	now := time.Unix(1_800_000_000, 0)
	signedOld := webhookstest.StandardHeaders(t, oldSecret, "msg_1", now, body, true)
	signedNew := webhookstest.StandardHeaders(t, newSecret, "msg_1", now, body, true)
	both := signedNew.Clone()
	both.Set("svix-signature", signedOld.Get("svix-signature")+" "+signedNew.Get("svix-signature"))

	rotating := newStandard(t, now, newSecret, oldSecret)
	for name, h := range map[string]http.Header{"old": signedOld, "new": signedNew, "both": both} {
		_, _, err := rotating.VerifySignature(h, body)
		require.NoError(t, err, "signed with %s secret, verifier knows both", name)
	}
	onlyNew := newStandard(t, now, newSecret)
	_, _, err := onlyNew.VerifySignature(signedOld, body)
	require.ErrorIs(t, err, webhooks.ErrInvalidSignature, "the old secret is retired")
	_, _, err = onlyNew.VerifySignature(both, body)
	require.NoError(t, err, "a sender signing with both during its rotation")
}

func TestStandardVerifyEvent(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_800_000_000, 0)
	tests := []struct {
		name, body string
		want       time.Time
	}{
		{"clerk milliseconds", `{"type":"user.created","timestamp":1654012591835,"data":{}}`, time.UnixMilli(1654012591835)},
		{"spec RFC 3339", `{"type":"invoice.paid","timestamp":"2022-11-03T20:26:10.344522Z","data":{}}`, time.Date(2022, 11, 3, 20, 26, 10, 344522000, time.UTC)},
		{"no timestamp: signed time", `{"type":"x"}`, now},
		{"odd timestamp: signed time", `{"type":"x","timestamp":{"a":1}}`, now},
	}
	v := newStandard(t, now, vecSecret)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := webhookstest.StandardHeaders(t, vecSecret, "msg_42", now, []byte(tt.body), true)
			ev, err := v.Verify(t.Context(), h, []byte(tt.body))
			require.NoError(t, err)
			assert.Equal(t, "msg_42", ev.ID)
			assert.True(t, ev.OccurredAt.Equal(tt.want), "occurred %s, want %s", ev.OccurredAt, tt.want)
			assert.Equal(t, tt.body, string(ev.Payload))
		})
	}
	for _, body := range []string{`[1,2]`, `{"data":{}}`, `not json`} {
		h := webhookstest.StandardHeaders(t, vecSecret, "msg_43", now, []byte(body), false)
		_, err := v.Verify(t.Context(), h, []byte(body))
		require.ErrorIs(t, err, webhooks.ErrInvalidPayload, "body %s", body)
	}
}

func TestNewStandardErrors(t *testing.T) {
	t.Parallel()
	_, err := webhooks.NewStandard(nil, webhooks.StandardConfig{})
	require.Error(t, err)
	_, err = webhooks.NewStandard([]string{vecSecret, "whsec_***not base64***"}, webhooks.StandardConfig{})
	require.ErrorContains(t, err, "secrets[1]")
	assert.NotContains(t, err.Error(), "not base64***", "the secret is not echoed")
	_, err = webhooks.NewStandard([]string{"whsec_"}, webhooks.StandardConfig{})
	require.Error(t, err)
	_, err = webhooks.NewStandard([]string{vecSecret}, webhooks.StandardConfig{Tolerance: -time.Second})
	require.ErrorContains(t, err, "Tolerance")
	// Unpadded base64 is accepted too.
	unpadded := "whsec_" + base64.RawStdEncoding.EncodeToString([]byte("twenty-five bytes of key!"))
	_, err = webhooks.NewStandard([]string{unpadded}, webhooks.StandardConfig{})
	require.NoError(t, err)
}

func TestIsStandardSecret(t *testing.T) {
	t.Parallel()
	assert.True(t, webhooks.IsStandardSecret(vecSecret))
	assert.True(t, webhooks.IsStandardSecret("v1,"+vecSecret))
	assert.False(t, webhooks.IsStandardSecret("a-shared-secret"))
	assert.False(t, webhooks.IsStandardSecret("whsec_!!!"))
	assert.False(t, webhooks.IsStandardSecret(vecSecret[len("whsec_"):]), "bare base64 might be a shared secret")
}
