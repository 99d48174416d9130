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
// /users/me and the admin routes.
func Example() {
	secret := []byte("an-example-secret-of-at-least-32-bytes")
	verifier, err := auth.NewVerifier(auth.Config{Secret: secret, Issuer: "https://auth.example"})
	if err != nil {
		panic(err)
	}
	defer verifier.Close()
	store, err := memory.New(memory.Config{})
	if err != nil {
		panic(err)
	}
	users, err := auth.NewUsers(store, auth.UsersConfig{
		AdminEmails: []string{"ada@example.com"},
		OnCreated: func(_ context.Context, u auth.User) {
			if u.EmailVerified {
				fmt.Println("welcome", u.Email)
			}
		},
	})
	if err != nil {
		panic(err)
	}
	authn, _ := auth.NewAuthenticator(verifier, auth.AuthenticatorConfig{Users: users})
	me, _ := auth.NewHandler(users, auth.HandlerConfig{})
	admin, _ := auth.NewAdminHandler(users, auth.HandlerConfig{})

	mux := http.NewServeMux()
	mux.Handle("/api/users/", http.StripPrefix("/api/users", authn.Authenticate(me)))
	mux.Handle("/api/admin/users/", http.StripPrefix("/api/admin/users",
		authn.Authenticate(auth.RequireRole(users.AdminRole())(admin))))

	token, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"iss": "https://auth.example", "sub": "user-1", "email": "ada@example.com", "email_verified": true,
		"exp": time.Now().Add(time.Hour).Unix(),
	}).SignedString(secret)
	for range 2 {
		req := httptest.NewRequest("GET", "/api/users/me", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
		var u auth.User
		_ = json.Unmarshal(rec.Body.Bytes(), &u)
		fmt.Println(rec.Code, u.Email, u.EmailVerified, u.Role, u.IsActive)
	}

	req := httptest.NewRequest("GET", "/api/admin/users/?search=ada", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, req)
	var page struct{ Total int }
	_ = json.Unmarshal(rec.Body.Bytes(), &page)
	fmt.Println(rec.Code, page.Total)

	req = httptest.NewRequest("GET", "/api/users/me", nil)
	req.Header.Set("Authorization", "Bearer "+token+"x")
	rec = httptest.NewRecorder()
	mux.ServeHTTP(rec, req)
	fmt.Println(rec.Code, rec.Header().Get("WWW-Authenticate"))
	// Output:
	// welcome ada@example.com
	// 200 ada@example.com true admin true
	// 200 ada@example.com true admin true
	// 200 1
	// 401 Bearer realm="api", error="invalid_token", error_description="invalid token"
}

// A provider webhook (Clerk's user.created, Supabase's auth.users INSERT)
// creates or updates the user; user.deleted deactivates it.
func ExampleUsers_Sync() {
	store, _ := memory.New(memory.Config{})
	users, _ := auth.NewUsers(store, auth.UsersConfig{})
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
