package supabase

import (
	"net/http"
	"testing"
)

// FuzzDecodeUser: the decoder never panics, and what it accepts names a
// user; a verified e-mail always comes with a confirmation time.
func FuzzDecodeUser(f *testing.F) {
	for _, s := range []string{
		`{"type":"INSERT","table":"users","schema":"auth","record":{"id":"u1","email":"a@b.c","email_confirmed_at":"2026-01-01T10:00:00Z"},"old_record":null}`,
		`{"type":"DELETE","table":"users","schema":"auth","record":null,"old_record":{"id":"u1","deleted_at":null}}`,
		`{"type":"UPDATE","table":"users","schema":"auth","record":{"id":"u1","email_confirmed_at":null,"raw_user_meta_data":null}}`,
		`{"type":"UPDATE","table":"users","schema":"auth","record":{"id":"u1","email_confirmed_at":12}}`,
		`{}`, `null`, `[`, ``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		u, err := DecodeUser(payload)
		if err != nil {
			return
		}
		if u.ID == "" {
			t.Fatalf("user without id from %q", payload)
		}
	})
}

// FuzzSharedSecret: only the configured secret authenticates, and nothing
// panics whatever the header holds.
func FuzzSharedSecret(f *testing.F) {
	f.Add("s3cret", "s3cret")
	f.Add("s3cret", "s3cre")
	f.Add("s3cret", "")
	f.Add("x", "\x00")
	f.Fuzz(func(t *testing.T, secret, sent string) {
		if secret == "" {
			return
		}
		v, err := New(Config{SharedSecret: secret})
		if err != nil {
			t.Fatal(err)
		}
		body := []byte(`{"type":"INSERT","table":"users","schema":"auth","record":{"id":"u1"},"old_record":null}`)
		h := http.Header{}
		h.Set(DefaultHeader, sent)
		_, err = v.Verify(t.Context(), h, body)
		if (sent == secret) != (err == nil) {
			t.Fatalf("secret %q, sent %q: err %v", secret, sent, err)
		}
	})
}
