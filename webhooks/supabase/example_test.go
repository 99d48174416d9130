package supabase_test

import (
	"context"
	"fmt"
	"net/http"

	"github.com/omnistack/omnistack/webhooks"
	"github.com/omnistack/omnistack/webhooks/memory"
	"github.com/omnistack/omnistack/webhooks/supabase"
)

// printUsers stands for the application's user store.
type printUsers struct{}

func (printUsers) SyncUser(_ context.Context, u supabase.User) error {
	fmt.Printf("sync %s %s verified=%t %q\n", u.ID, u.Email, u.EmailVerified, u.FullName)
	return nil
}

func (printUsers) DeleteUser(_ context.Context, id string) error {
	fmt.Println("deactivate", id)
	return nil
}

func Example() {
	v, err := supabase.New(supabase.Config{SharedSecret: "a-long-random-value"})
	if err != nil {
		panic(err)
	}
	store, err := memory.New(memory.Config{})
	if err != nil {
		panic(err)
	}
	rcv, err := webhooks.NewReceiver("supabase", v, store, webhooks.ReceiverConfig{})
	if err != nil {
		panic(err)
	}
	supabase.HandleUsers(rcv, printUsers{})

	body := []byte(`{"type":"INSERT","table":"users","schema":"auth","old_record":null,"record":{` +
		`"id":"2b8c6a9e-1f3d-4a5b-9c7e-0d1e2f3a4b5c","email":"ada@example.com","email_confirmed_at":null,` +
		`"updated_at":"2026-01-01T10:00:00Z","raw_user_meta_data":{"full_name":"Ada Lovelace"}}}`)
	h := http.Header{supabase.DefaultHeader: {"a-long-random-value"}}
	res, err := rcv.Receive(context.Background(), h, body)
	fmt.Println(res.Record.Status, err)

	_, err = rcv.Receive(context.Background(), http.Header{supabase.DefaultHeader: {"guess"}}, body)
	fmt.Println(err != nil)
	// Output:
	// sync 2b8c6a9e-1f3d-4a5b-9c7e-0d1e2f3a4b5c ada@example.com verified=false "Ada Lovelace"
	// processed <nil>
	// true
}
