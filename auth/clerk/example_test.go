package clerk_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/omnistack/omnistack/auth"
	"github.com/omnistack/omnistack/auth/clerk"
	"github.com/omnistack/omnistack/auth/memory"
)

func ExampleClient_Identity() {
	// A stand-in for https://api.clerk.com; in production leave BaseURL empty.
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"id":"user_2abc","first_name":"Ada","last_name":"Lovelace","image_url":"",`+
			`"primary_email_address_id":"idn_1","email_addresses":[`+
			`{"id":"idn_1","email_address":"ada@example.com","verification":{"status":"verified"}}]}`)
	}))
	defer api.Close()

	clerkAPI, err := clerk.New("sk_test_123", clerk.Config{BaseURL: api.URL})
	if err != nil {
		panic(err)
	}
	store, _ := memory.New(memory.Config{})
	users, _ := auth.NewUsers(store, auth.UsersConfig{LookupIdentity: clerkAPI.Identity})

	// The first request of a Clerk session token without an email claim.
	u, err := users.Ensure(context.Background(), &auth.Principal{Subject: "user_2abc"})
	if err != nil {
		panic(err)
	}
	fmt.Println(u.Email, u.EmailVerified, u.FullName)
	// Output:
	// ada@example.com true Ada Lovelace
}
