package stripe

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/omnistack/omnistack/internal/fakeclock"
)

// FuzzTimestamp: the t parser never panics, and reads back what a
// well-formed header holds.
func FuzzTimestamp(f *testing.F) {
	for _, s := range []string{
		"t=1700000000,v1=e27e4cbb8648168dfc1a8aeaaa2fb30586b8a30c72f862e5338a3bd311e5ef95",
		"t=1,t=2", "v1=ab", "t=", "=", ",", "t=-5,v0=x", "t=99999999999999999999",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, header string) {
		ts, err := timestamp(header)
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

// FuzzVerify: a delivery signed by stripe-go's test helper verifies and a
// changed body does not; junk headers never panic.
func FuzzVerify(f *testing.F) {
	f.Add(`{"id":"evt_1","object":"event","type":"invoice.paid","created":1}`, "t=1,v1=00")
	f.Add(`{}`, "")
	f.Add(`[`, "t=x")
	f.Fuzz(func(t *testing.T, body, junk string) {
		now := time.Unix(1_800_000_000, 0)
		v, err := New("whsec_test_secret", Config{Now: fakeclock.New(now).Now, IgnoreAPIVersionMismatch: true})
		if err != nil {
			t.Fatal(err)
		}
		h := http.Header{HeaderSignature: {Sign("whsec_test_secret", now, []byte(body))}}
		ev, err := v.Verify(t.Context(), h, []byte(body))
		if err == nil {
			if ev.ID == "" || ev.Type == "" {
				t.Fatalf("event without id or type: %+v", ev)
			}
			if _, err := v.Verify(t.Context(), h, []byte(body+" ")); err == nil {
				t.Fatal("changed body accepted")
			}
		}
		_, _ = v.Verify(t.Context(), http.Header{HeaderSignature: {junk}}, []byte(body))
	})
}
