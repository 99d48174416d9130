package clerk

import (
	"testing"
)

// FuzzDecodeUser feeds arbitrary bodies to the decoder of the API's User
// object: it must never panic, must answer only for the subject asked
// for, and a verified e-mail must be a non-empty one.
func FuzzDecodeUser(f *testing.F) {
	f.Add([]byte(`{"id":"user_1","first_name":"Ada","last_name":null,"image_url":"https://img/x","primary_email_address_id":"idn_1",`+
		`"email_addresses":[{"id":"idn_1","email_address":"a@example.com","verification":{"status":"verified"}}]}`), "user_1")
	f.Add([]byte(`{"id":"user_1","primary_email_address_id":null,"email_addresses":[]}`), "user_1")
	f.Add([]byte(`{"id":"user_1","primary_email_address_id":"idn_1","email_addresses":[{"id":"idn_1","email_address":"","verification":{"status":"verified"}}]}`), "user_1")
	f.Add([]byte(`{"id":"user_2"}`), "user_1")
	f.Add([]byte(`null`), "")
	f.Add([]byte(`[]`), "user_1")
	f.Fuzz(func(t *testing.T, body []byte, subject string) {
		id, err := decodeUser(body, subject)
		if err != nil {
			return
		}
		if id.Subject != subject {
			t.Fatalf("answered %q for %q", id.Subject, subject)
		}
		if id.EmailVerified && id.Email == "" {
			t.Fatal("verified without an e-mail")
		}
	})
}
