package driver

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/omnistack/omnistack/storage"
)

var secret = []byte("0123456789abcdef0123456789abcdef")

func newTestSigner(t testing.TB, now time.Time) *Signer {
	s, err := NewSigner(secret, "https://files.example.com/api/v1/public/storage", func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func request(t testing.TB, method, url, ct string, size int64) (*http.Request, bool) {
	r, err := http.NewRequest(method, url, nil)
	if err != nil {
		return nil, false
	}
	r.Header.Set("Content-Type", ct)
	r.ContentLength = size
	return r, true
}

// FuzzSignedURL: a URL the signer made verifies; any one-byte change to it
// either fails or (an equivalent escape) yields the very same claims.
func FuzzSignedURL(f *testing.F) {
	f.Add("uploads/u1/f1/a.png", "image/png", int64(1234), 10, byte('x'))
	f.Add("données/文件 1.txt", "text/plain; charset=utf-8", int64(1), 60, byte('%'))
	f.Add("a", "application/json", int64(1<<30), 200, byte('0'))
	now := time.Unix(1_800_000_000, 0)
	f.Fuzz(func(t *testing.T, key, ct string, size int64, pos int, b byte) {
		if storage.ValidateKey(key) != nil || size <= 0 {
			return
		}
		s := newTestSigner(t, now)
		opts := storage.PresignPutOptions{ContentType: ct, Size: size, Expires: time.Minute}
		if PresignPut(key, &opts) != nil {
			return
		}
		p := s.PresignPut(key, opts)
		r, ok := request(t, http.MethodPut, p.URL, ct, size)
		if !ok {
			t.Fatalf("own URL does not parse: %s", p.URL)
		}
		want, err := s.verify(r)
		if err != nil {
			t.Fatalf("own URL refused: %v\n%s", err, p.URL)
		}
		if pos < 0 || pos >= len(p.URL) || p.URL[pos] == b {
			return
		}
		mutated := p.URL[:pos] + string([]byte{b}) + p.URL[pos+1:]
		r, ok = request(t, http.MethodPut, mutated, ct, size)
		if !ok {
			return
		}
		got, err := s.verify(r)
		if err == nil && got != want {
			t.Fatalf("mutated URL accepted with other claims:\n%s\n%+v\n%+v", mutated, want, got)
		}
	})
}

func TestVerify(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	s := newTestSigner(t, now)
	opts := storage.PresignPutOptions{ContentType: "image/png", Size: 10, Expires: time.Minute}
	if err := PresignPut("a/b.png", &opts); err != nil {
		t.Fatal(err)
	}
	p := s.PresignPut("a/b.png", opts)
	tests := []struct {
		name   string
		method string
		ct     string
		size   int64
		url    string
		want   error
	}{
		{"ok", http.MethodPut, "image/png", 10, p.URL, nil},
		{"other type", http.MethodPut, "image/gif", 10, p.URL, storage.ErrUnsupportedType},
		{"larger", http.MethodPut, "image/png", 11, p.URL, storage.ErrTooLarge},
		{"shorter", http.MethodPut, "image/png", 9, p.URL, errShortBody},
		{"get with a put URL", http.MethodGet, "", 0, p.URL, storage.ErrInvalidSignature},
		{"other base", http.MethodPut, "image/png", 10, strings.Replace(p.URL, "/storage/", "/other/", 1), ErrNoKey},
		{"other key", http.MethodPut, "image/png", 10, strings.Replace(p.URL, "b.png", "c.png", 1), storage.ErrInvalidSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, _ := request(t, tt.method, tt.url, tt.ct, tt.size)
			_, err := s.verify(r)
			if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
				t.Fatalf("verify = %v, want %v", err, tt.want)
			}
		})
	}
	late := newTestSigner(t, now.Add(time.Minute))
	r, _ := request(t, http.MethodPut, p.URL, "image/png", 10)
	if _, err := late.verify(r); !errors.Is(err, storage.ErrExpired) {
		t.Fatalf("at expiry: %v", err)
	}
	other, err := NewSigner([]byte(strings.Repeat("z", 32)), "https://files.example.com/api/v1/public/storage", func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.verify(r); !errors.Is(err, storage.ErrInvalidSignature) {
		t.Fatalf("another secret: %v", err)
	}
}

func TestTransferTime(t *testing.T) {
	if got := transferTime(0); got != time.Minute {
		t.Fatalf("empty body: %s", got)
	}
	if got := transferTime(50 << 20); got != time.Minute+800*time.Second {
		t.Fatalf("50 MiB at 64 KiB/s: %s", got)
	}
	if got := transferTime(-1); got != time.Minute {
		t.Fatalf("negative: %s", got)
	}
}

// TestSignatureIsCanonical: a 32-byte MAC is 43 base64 characters whose
// last one carries two unused bits. Only the encoding the signer made
// verifies; the three spellings that differ in those bits are refused, so
// no URL has a second valid form.
func TestSignatureIsCanonical(t *testing.T) {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	s := newTestSigner(t, time.Unix(1_800_000_000, 0))
	opts := storage.PresignPutOptions{ContentType: "text/plain", Size: 3, Expires: time.Minute}
	if err := PresignPut("k", &opts); err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(s.PresignPut("k", opts).URL)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	sig := q.Get(qSignature)
	last := strings.IndexByte(alphabet, sig[len(sig)-1])
	for i := last &^ 3; i < last&^3+4; i++ {
		q.Set(qSignature, sig[:len(sig)-1]+alphabet[i:i+1])
		u.RawQuery = q.Encode()
		r, _ := request(t, http.MethodPut, u.String(), "text/plain", 3)
		_, err := s.verify(r)
		if i == last && err != nil {
			t.Fatalf("own signature refused: %v", err)
		}
		if i != last && !errors.Is(err, storage.ErrInvalidSignature) {
			t.Fatalf("signature spelt with other padding bits (%q for %q): %v", alphabet[i], sig[len(sig)-1], err)
		}
	}
}
