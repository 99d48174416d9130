package auth_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/omnistack/omnistack/auth"
	"github.com/omnistack/omnistack/auth/memory"
)

// Verify HS256 tokens, create users on their first request and serve
// /users/me.
func Example() {
	secret := []byte("an-example-secret-of-at-least-32-bytes")
	verifier, err := auth.NewVerifier(auth.Config{Secret: secret, Issuer: "https://auth.example"})
	if err != nil {
		panic(err)
	}
	defer verifier.Close()
	users, _ := auth.NewUsers(memory.New(memory.Config{}), auth.UsersConfig{
		AdminEmails: []string{"ada@example.com"},
		OnCreated:   func(_ context.Context, u auth.User) { fmt.Println("welcome", u.Email) },
	})
	authn, _ := auth.NewAuthenticator(verifier, auth.AuthenticatorConfig{Users: users})
	h, _ := auth.NewHandler(users)

	mux := http.NewServeMux()
	mux.Handle("/api/", http.StripPrefix("/api", authn.Authenticate(h.MeRoutes())))
	mux.Handle("/api/admin/", http.StripPrefix("/api/admin", authn.Authenticate(auth.RequireRole("admin")(h.AdminRoutes()))))

	token, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"iss": "https://auth.example", "sub": "user-1", "email": "ada@example.com", "email_verified": true,
		"exp": time.Now().Add(time.Hour).Unix(),
	}).SignedString(secret)
	for range 2 {
		req := httptest.NewRequest("GET", "/api/users/me", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
		var me auth.User
		_ = json.Unmarshal(rec.Body.Bytes(), &me)
		fmt.Println(rec.Code, me.Email, me.Role, me.IsActive)
	}

	req := httptest.NewRequest("GET", "/api/users/me", nil)
	req.Header.Set("Authorization", "Bearer "+token+"x")
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, req)
	fmt.Println(rec.Code, rec.Header().Get("WWW-Authenticate"))
	// Output:
	// welcome ada@example.com
	// 200 ada@example.com admin true
	// 200 ada@example.com admin true
	// 401 Bearer realm="api", error="invalid_token", error_description="invalid token"
}

// A provider webhook (Clerk's user.created, Supabase's auth.users INSERT)
// creates or updates the user; user.deleted deactivates it.
func ExampleUsers_Sync() {
	users, _ := auth.NewUsers(memory.New(memory.Config{}), auth.UsersConfig{})
	ctx := context.Background()
	u, created, _ := users.Sync(ctx, auth.Identity{Subject: "user_2abc", Email: "grace@example.com", Name: "Grace Hopper"})
	fmt.Println(created, u.FullName, u.IsActive)
	u, created, _ = users.Sync(ctx, auth.Identity{Subject: "user_2abc", Name: "Grace B. Hopper"})
	fmt.Println(created, u.FullName, u.Email)
	u, _ = users.DeactivateSubject(ctx, "user_2abc")
	fmt.Println(u.IsActive)
	// Output:
	// true Grace Hopper true
	// false Grace B. Hopper grace@example.com
	// false
}
