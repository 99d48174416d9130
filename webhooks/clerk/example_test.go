package clerk_test

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/omnistack/omnistack/webhooks"
	"github.com/omnistack/omnistack/webhooks/clerk"
	"github.com/omnistack/omnistack/webhooks/memory"
	"github.com/omnistack/omnistack/webhooks/standard"
)

// printUsers stands for the application's user store.
type printUsers struct{}

func (printUsers) SyncUser(_ context.Context, u clerk.User) error {
	fmt.Printf("sync %s %s verified=%t %q\n", u.ID, u.Email, u.EmailVerified, u.FullName())
	return nil
}

func (printUsers) DeleteUser(_ context.Context, id string) error {
	fmt.Println("deactivate", id)
	return nil
}

func ExampleHandleUsers() {
	const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	verifier, err := standard.New([]string{secret}, standard.Config{})
	if err != nil {
		panic(err)
	}
	store, err := memory.New(memory.Config{})
	if err != nil {
		panic(err)
	}
	rcv, err := webhooks.NewReceiver("clerk", verifier, store, webhooks.ReceiverConfig{})
	if err != nil {
		panic(err)
	}
	clerk.HandleUsers(rcv, printUsers{})

	deliver := func(msgID, body string) {
		now := time.Now()
		h := http.Header{}
		h.Set(standard.HeaderSvixID, msgID)
		h.Set(standard.HeaderSvixTimestamp, strconv.FormatInt(now.Unix(), 10))
		h.Set(standard.HeaderSvixSignature, verifier.Sign(msgID, now, []byte(body)))
		res, err := rcv.Receive(context.Background(), h, []byte(body))
		fmt.Println(res.Record.Status, err)
	}
	deliver("msg_1", `{"type":"user.created","timestamp":1700000000000,"data":{"id":"user_1","first_name":"Ada","last_name":"Lovelace",`+
		`"primary_email_address_id":"idn_1","email_addresses":[{"id":"idn_1","email_address":"ada@example.com",`+
		`"verification":{"status":"verified"}}],"updated_at":1700000000000}}`)
	deliver("msg_2", `{"type":"user.deleted","timestamp":1700000060000,"data":{"id":"user_1","deleted":true}}`)
	// Output:
	// sync user_1 ada@example.com verified=true "Ada Lovelace"
	// processed <nil>
	// deactivate user_1
	// processed <nil>
}

func ExampleDecodeUser() {
	u, err := clerk.DecodeUser([]byte(`{"type":"user.updated","data":{"id":"user_2","first_name":"Grace","last_name":null,` +
		`"primary_email_address_id":"idn_2","email_addresses":[{"id":"idn_2","email_address":"grace@example.com",` +
		`"verification":{"status":"unverified"}}]}}`))
	fmt.Printf("%s %q %s verified=%t %v\n", u.ID, u.FullName(), u.Email, u.EmailVerified, err)
	// Output:
	// user_2 "Grace" grace@example.com verified=false <nil>
}
