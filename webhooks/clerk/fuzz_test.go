package clerk

import "testing"

// FuzzDecodeUser: the decoder never panics, and what it accepts names a
// user.
func FuzzDecodeUser(f *testing.F) {
	for _, s := range []string{
		`{"type":"user.created","data":{"id":"user_1","primary_email_address_id":"idn_1","email_addresses":[{"id":"idn_1","email_address":"a@b.c","verification":{"status":"verified"}}]}}`,
		`{"type":"user.updated","data":{"id":"user_1","primary_email_address_id":"idn_1","email_addresses":[{"id":"idn_1","verification":null}]}}`,
		`{"type":"user.deleted","data":{"id":"user_1","deleted":true}}`,
		`{"data":null}`, `{"data":{"id":""}}`, `{}`, `[`, ``,
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
