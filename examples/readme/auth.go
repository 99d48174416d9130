package readme

import (
	"net/http"

	"github.com/omnistack/omnistack/auth"
	"github.com/omnistack/omnistack/auth/memory"
)

func authSnippet(mux *http.ServeMux, secret []byte) error {
	// given: mux *http.ServeMux, secret []byte
	// HS256 with a secret of at least 32 bytes; or auth.SupabaseConfig(projectURL, nil),
	// auth.ClerkConfig(issuer, origins...), auth.Config{JWKSURL: ...} (Close stops its refresh)
	verifier, err := auth.NewVerifier(auth.Config{Secret: secret})
	if err != nil {
		return err
	}
	store, _ := memory.New(memory.Config{}) // or postgres.New(pool, postgres.Config{})
	users, _ := auth.NewUsers(store, auth.UsersConfig{AdminEmails: []string{"ada@example.com"}})
	// A user is created on its first request; a deactivated one gets 403.
	authn, _ := auth.NewAuthenticator(verifier, auth.AuthenticatorConfig{Users: users})
	me, _ := auth.NewHandler(users, auth.HandlerConfig{})         // GET, PATCH /me
	admin, _ := auth.NewAdminHandler(users, auth.HandlerConfig{}) // list, get, patch, (de)activate
	mux.Handle("/api/users/", http.StripPrefix("/api/users", authn.Authenticate(me)))
	mux.Handle("/api/admin/users/", http.StripPrefix("/api/admin/users",
		authn.Authenticate(auth.RequireRole(users.AdminRole())(admin))))
	// Every block that scopes data to a user takes auth.UserID as its HandlerConfig.UserID.
	return nil
}
