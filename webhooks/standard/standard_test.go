package standard_test

import (
	"encoding/base64"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/internal/fakeclock"
	"github.com/omnistack/omnistack/webhooks"
	"github.com/omnistack/omnistack/webhooks/standard"
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

func newVerifier(t *testing.T, now time.Time, secrets ...string) *standard.Verifier {
	t.Helper()
	v, err := standard.New(secrets, standard.Config{Now: fakeclock.New(now).Now})
	require.NoError(t, err)
	return v
}

func TestVector(t *testing.T) {
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
				v := newVerifier(t, vecTime, secret)
				assert.Equal(t, vecSig, v.Sign(vecMsgID, vecTime, []byte(vecPayload)), "our signer makes the vector")
				id, ts, err := v.VerifySignature(vecHeaders(prefix, vecSig), []byte(vecPayload))
				require.NoError(t, err)
				assert.Equal(t, vecMsgID, id)
				assert.True(t, ts.Equal(vecTime))
			})
		}
	}
}

func TestSignatureLists(t *testing.T) {
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
	v := newVerifier(t, vecTime, vecSecret)
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

func TestRejects(t *testing.T) {
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
			v := newVerifier(t, tt.now, tt.secrets...)
			_, _, err := v.VerifySignature(tt.h, []byte(tt.body))
			require.ErrorIs(t, err, tt.want)
		})
	}
}

func TestToleranceEdges(t *testing.T) {
	t.Parallel()
	for _, d := range []time.Duration{5 * time.Minute, -5 * time.Minute, 0} {
		v := newVerifier(t, vecTime.Add(d), vecSecret)
		_, _, err := v.VerifySignature(vecHeaders("svix", vecSig), []byte(vecPayload))
		require.NoError(t, err, "offset %s is within the tolerance", d)
	}
}

func TestRotation(t *testing.T) {
	t.Parallel()
	oldSecret := "whsec_" + base64.StdEncoding.EncodeToString([]byte("the old secret, 24 bytes"))
	newSecret := vecSecret
	body := []byte(`{"type":"user.created","data":{"id":"user_1"}}`)
	now := time.Unix(1_800_000_000, 0)
	signedOld := webhookstest.StandardHeaders(t, oldSecret, "msg_1", now, body, true)
	signedNew := webhookstest.StandardHeaders(t, newSecret, "msg_1", now, body, true)
	both := signedNew.Clone()
	both.Set("svix-signature", signedOld.Get("svix-signature")+" "+signedNew.Get("svix-signature"))

	rotating := newVerifier(t, now, newSecret, oldSecret)
	for name, h := range map[string]http.Header{"old": signedOld, "new": signedNew, "both": both} {
		_, _, err := rotating.VerifySignature(h, body)
		require.NoError(t, err, "signed with %s secret, verifier knows both", name)
	}
	onlyNew := newVerifier(t, now, newSecret)
	_, _, err := onlyNew.VerifySignature(signedOld, body)
	require.ErrorIs(t, err, webhooks.ErrInvalidSignature, "the old secret is retired")
	_, _, err = onlyNew.VerifySignature(both, body)
	require.NoError(t, err, "a sender signing with both during its rotation")
}

func TestVerifyEvent(t *testing.T) {
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
	v := newVerifier(t, now, vecSecret)
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

func TestNewErrors(t *testing.T) {
	t.Parallel()
	_, err := standard.New(nil, standard.Config{})
	require.Error(t, err)
	_, err = standard.New([]string{vecSecret, "whsec_***not base64***"}, standard.Config{})
	require.ErrorContains(t, err, "secrets[1]")
	assert.NotContains(t, err.Error(), "not base64***", "the secret is not echoed")
	_, err = standard.New([]string{"whsec_"}, standard.Config{})
	require.Error(t, err)
	_, err = standard.New([]string{vecSecret}, standard.Config{Tolerance: -time.Second})
	require.ErrorContains(t, err, "Tolerance")
	// Unpadded base64 is accepted too.
	unpadded := "whsec_" + base64.RawStdEncoding.EncodeToString([]byte("twenty-five bytes of key!"))
	_, err = standard.New([]string{unpadded}, standard.Config{})
	require.NoError(t, err)
}

func TestIsSecret(t *testing.T) {
	t.Parallel()
	assert.True(t, standard.IsSecret(vecSecret))
	assert.True(t, standard.IsSecret("v1,"+vecSecret))
	assert.False(t, standard.IsSecret("a-shared-secret"))
	assert.False(t, standard.IsSecret("whsec_!!!"))
	assert.False(t, standard.IsSecret(vecSecret[len("whsec_"):]), "bare base64 might be a shared secret")
}
