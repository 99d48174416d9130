package webhooks

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

const fuzzSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

// FuzzStandardSignatures: the header parser never panics and yields only
// non-empty entries without separators.
func FuzzStandardSignatures(f *testing.F) {
	for _, s := range []string{
		"v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
		"v1,AAA=, v1,BBB=",
		"v1a,hnO3f9T8 v1,x",
		"", " ", ",", "v1,", "v1,,", "v1 ,a", "\tv1,a\n", "v1,a,b,c",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, header string) {
		for sig := range standardSignatures(header) {
			if sig == "" || strings.ContainsAny(sig, ", \t\n") {
				t.Fatalf("bad signature %q from %q", sig, header)
			}
		}
	})
}

// FuzzStandardVerify: what our signer made verifies; any change to the
// body, ID or timestamp does not, and nothing panics.
func FuzzStandardVerify(f *testing.F) {
	f.Add("msg_p5jXN8AQM9LWM0D4loKWxJek", int64(1614265330), []byte(`{"test": 2432232314}`), "extra")
	f.Add("", int64(0), []byte{}, "")
	f.Add("id", int64(-1), []byte("\x00\xff"), "v1,AAAA")
	f.Fuzz(func(t *testing.T, msgID string, sec int64, body []byte, junk string) {
		now := time.Unix(sec, 0)
		v, err := NewStandard([]string{fuzzSecret}, StandardConfig{Now: func() time.Time { return now }})
		if err != nil {
			t.Fatal(err)
		}
		sig := v.Sign(msgID, now, body)
		h := http.Header{}
		h.Set(HeaderWebhookID, msgID)
		h.Set(HeaderWebhookTimestamp, strconv.FormatInt(sec, 10))
		h.Set(HeaderWebhookSignature, junk+" "+sig)
		_, _, err = v.VerifySignature(h, body)
		valid := msgID != "" && len(msgID) <= maxMsgIDLen && h.Get(HeaderWebhookID) == msgID
		if valid && err != nil {
			t.Fatalf("own signature rejected: %v", err)
		}
		if err == nil {
			tampered := append(bytes.Clone(body), 'x')
			if _, _, err := v.VerifySignature(h, tampered); err == nil {
				t.Fatal("tampered body accepted")
			}
			h2 := h.Clone()
			h2.Set(HeaderWebhookID, msgID+"x")
			if _, _, err := v.VerifySignature(h2, body); err == nil {
				t.Fatal("tampered id accepted")
			}
		}
		// Arbitrary headers never panic.
		h.Set(HeaderWebhookSignature, junk)
		_, _, _ = v.VerifySignature(h, body)
	})
}

// FuzzStripeTimestamp: the t parser never panics, and reads back what a
// well-formed header holds.
func FuzzStripeTimestamp(f *testing.F) {
	for _, s := range []string{
		"t=1700000000,v1=e27e4cbb8648168dfc1a8aeaaa2fb30586b8a30c72f862e5338a3bd311e5ef95",
		"t=1,t=2", "v1=ab", "t=", "=", ",", "t=-5,v0=x", "t=99999999999999999999",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, header string) {
		ts, err := stripeTimestamp(header)
		if err != nil {
			return
		}
		for elem := range strings.SplitSeq(header, ",") {
			if v, ok := strings.CutPrefix(elem, "t="); ok {
				if n, perr := strconv.ParseInt(v, 10, 64); perr == nil && n == ts.Unix() {
					return
				}
			}
		}
		t.Fatalf("timestamp %d not in %q", ts.Unix(), header)
	})
}

// FuzzStripeVerify: a delivery signed by stripe-go's test helper verifies
// and a changed body does not; junk headers never panic.
func FuzzStripeVerify(f *testing.F) {
	f.Add(`{"id":"evt_1","object":"event","type":"invoice.paid","created":1}`, "t=1,v1=00")
	f.Add(`{}`, "")
	f.Add(`[`, "t=x")
	f.Fuzz(func(t *testing.T, body, junk string) {
		now := time.Unix(1_800_000_000, 0)
		v, err := NewStripe("whsec_test_secret", StripeConfig{Now: func() time.Time { return now }, IgnoreAPIVersionMismatch: true})
		if err != nil {
			t.Fatal(err)
		}
		h := http.Header{HeaderStripeSignature: {SignStripe("whsec_test_secret", now, []byte(body))}}
		ev, err := v.Verify(t.Context(), h, []byte(body))
		if err == nil {
			if ev.ID == "" || ev.Type == "" {
				t.Fatalf("event without id or type: %+v", ev)
			}
			if _, err := v.Verify(t.Context(), h, []byte(body+" ")); err == nil {
				t.Fatal("changed body accepted")
			}
		}
		_, _ = v.Verify(t.Context(), http.Header{HeaderStripeSignature: {junk}}, []byte(body))
	})
}
