package standard

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/omnistack/omnistack/internal/fakeclock"
)

const fuzzSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

// FuzzSignatures: the header parser never panics and yields only
// non-empty entries without separators.
func FuzzSignatures(f *testing.F) {
	for _, s := range []string{
		"v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
		"v1,AAA=, v1,BBB=",
		"v1a,hnO3f9T8 v1,x",
		"", " ", ",", "v1,", "v1,,", "v1 ,a", "\tv1,a\n", "v1,a,b,c",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, header string) {
		for sig := range signatures(header) {
			if sig == "" || strings.ContainsAny(sig, ", \t\n") {
				t.Fatalf("bad signature %q from %q", sig, header)
			}
		}
	})
}

// FuzzVerify: what our signer made verifies; any change to the body, ID
// or timestamp does not, and nothing panics.
func FuzzVerify(f *testing.F) {
	f.Add("msg_p5jXN8AQM9LWM0D4loKWxJek", int64(1614265330), []byte(`{"test": 2432232314}`), "extra")
	f.Add("", int64(0), []byte{}, "")
	f.Add("id", int64(-1), []byte("\x00\xff"), "v1,AAAA")
	f.Fuzz(func(t *testing.T, msgID string, sec int64, body []byte, junk string) {
		now := time.Unix(sec, 0)
		v, err := New([]string{fuzzSecret}, Config{Now: fakeclock.New(now).Now})
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
			h3 := h.Clone()
			h3.Set(HeaderWebhookTimestamp, strconv.FormatInt(sec+1, 10))
			if _, _, err := v.VerifySignature(h3, body); err == nil {
				t.Fatal("tampered timestamp accepted")
			}
		}
		// Arbitrary headers never panic.
		h.Set(HeaderWebhookSignature, junk)
		_, _, _ = v.VerifySignature(h, body)
	})
}
