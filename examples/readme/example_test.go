package readme

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/omnistack/omnistack/billing"
	billingmem "github.com/omnistack/omnistack/billing/memory"
	"github.com/omnistack/omnistack/resilience"
	"github.com/omnistack/omnistack/webhooks/stripe"
)

// The README's snippets that run on memory providers, run. Each Example
// drives the routes its snippet mounted the way a client would.

var (
	exampleSecret = []byte("a-readme-example-secret-of-32-bytes-or-more")
	userOne       = func(*http.Request) (string, error) { return "u1", nil }
)

// serve sends one request to h and returns the status and the body.
func serve(h http.Handler, method, target, body string, header ...string) (int, string) {
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Code, strings.TrimSpace(rec.Body.String())
}

func Example_httpx() {
	srv := &http.Server{ReadHeaderTimeout: 10 * time.Second}
	httpxSnippet(srv, slog.New(slog.DiscardHandler))
	for _, body := range []string{`{"title":"hello"}`, `{"title":""}`, `{"title":"x","color":"red"}`, `{"title":`} {
		fmt.Println(serve(srv.Handler, "POST", "/notes", body))
	}
	// Output:
	// 201 {"title":"hello"}
	// 422 {"error":{"code":"VALIDATION_ERROR","message":"request validation failed","details":{"fields":[{"field":"title","message":"must be 1 to 100 characters"}]}}}
	// 422 {"error":{"code":"VALIDATION_ERROR","message":"request validation failed","details":{"fields":[{"field":"color","message":"is not a known field"}]}}}
	// 400 {"error":{"code":"BAD_REQUEST","message":"request body is not valid JSON: unexpected end of input"}}
}

func Example_resilience() {
	calls := 0
	id, err := resilienceSnippet(context.Background(), func(context.Context) (string, error) {
		calls++
		return "msg_1", nil
	})
	fmt.Println(id, err, calls)

	calls = 0
	_, err = resilienceSnippet(context.Background(), func(context.Context) (string, error) {
		calls++
		return "", resilience.Permanent(errors.New("422 from provider")) // not worth another call
	})
	fmt.Println(err, calls)
	// Output:
	// msg_1 <nil> 1
	// 422 from provider 1
}

func Example_auth() {
	mux := http.NewServeMux()
	if err := authSnippet(mux, exampleSecret); err != nil {
		panic(err)
	}
	token, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"sub": "user_ada", "email": "ada@example.com", "email_verified": true, "exp": time.Now().Add(time.Hour).Unix(),
	}).SignedString(exampleSecret)

	code, body := serve(mux, "GET", "/api/users/me", "", "Authorization", "Bearer "+token)
	var me struct{ Email, Role string }
	_ = json.Unmarshal([]byte(body), &me)
	fmt.Println(code, me.Email, me.Role)
	code, _ = serve(mux, "GET", "/api/admin/users/", "", "Authorization", "Bearer "+token)
	fmt.Println(code)
	code, _ = serve(mux, "GET", "/api/users/me", "", "Authorization", "Bearer "+token+"x")
	fmt.Println(code)
	// Output:
	// 200 ada@example.com admin
	// 200
	// 401
}

func Example_crud() {
	mux := http.NewServeMux()
	crudSnippet(mux, userOne)
	for _, title := range []string{"Groceries", "Tax return", "Gift ideas"} {
		serve(mux, "POST", "/api/notes/", fmt.Sprintf(`{"title":%q}`, title))
	}
	code, body := serve(mux, "GET", "/api/notes/?search=g&sort=title", "")
	var page struct {
		Items []struct{ Title string }
		Total int
	}
	_ = json.Unmarshal([]byte(body), &page)
	fmt.Println(code, page.Total, page.Items[0].Title, page.Items[1].Title)
	code, _ = serve(mux, "GET", "/api/notes/01a24796-8dbc-7c7d-8455-aa40bbb21b73", "")
	fmt.Println(code)
	// Output:
	// 200 2 Gift ideas Groceries
	// 404
}

func Example_ratelimit() {
	srv := &http.Server{ReadHeaderTimeout: 10 * time.Second}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /login", func(http.ResponseWriter, *http.Request) {})
	fmt.Println(ratelimitSnippet(context.Background(), srv, mux))
	var codes []int
	for range 6 {
		code, _ := serve(srv.Handler, "POST", "/login", "")
		codes = append(codes, code)
	}
	fmt.Println(codes)
	// Output:
	// <nil>
	// [200 200 200 200 200 429]
}

func Example_jobs() {
	ctx := context.Background()
	mux := http.NewServeMux()
	done := make(chan struct{})
	client, err := jobsSnippet(ctx, mux, func(ctx context.Context, userID string) error {
		fmt.Println("welcome", userID)
		close(done)
		return nil
	})
	if err != nil {
		panic(err)
	}
	<-done
	stop, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	_ = client.Shutdown(stop)
	_, body := serve(mux, "GET", "/admin/jobs/?kind=send_welcome", "")
	var page struct {
		Items []struct{ Kind, State string }
	}
	_ = json.Unmarshal([]byte(body), &page)
	fmt.Println(page.Items)
	// Output:
	// welcome u1
	// [{send_welcome completed}]
}

func Example_email() {
	res, err := emailSnippet(context.Background())
	fmt.Println(res.ID, err)
	// Output: mem-1 <nil>
}

func Example_storage() {
	mux := http.NewServeMux()
	storageSnippet(mux, userOne, exampleSecret)
	_, body := serve(mux, "POST", "/api/files/upload-url", `{"filename":"notes.txt","content_type":"text/plain","size":5}`)
	var up struct {
		FileID    string            `json:"file_id"`
		UploadURL string            `json:"upload_url"`
		Method    string            `json:"method"`
		Headers   map[string]string `json:"headers"`
	}
	_ = json.Unmarshal([]byte(body), &up)
	var header []string
	for k, v := range up.Headers {
		header = append(header, k, v)
	}
	code, _ := serve(mux, up.Method, up.UploadURL, "hello", header...)
	fmt.Println(code)
	code, body = serve(mux, "POST", "/api/files/confirm", fmt.Sprintf(`{"file_id":%q}`, up.FileID))
	var f struct {
		Status string
		Size   int
	}
	_ = json.Unmarshal([]byte(body), &f)
	fmt.Println(code, f.Status, f.Size)
	// Output:
	// 200
	// 200 uploaded 5
}

func Example_webhooks() {
	const whsec = "whsec_readme_example"
	mux := http.NewServeMux()
	err := webhooksSnippet(mux, whsec, func(ctx context.Context, eventID string) error {
		fmt.Println("paid", eventID)
		return nil
	})
	if err != nil {
		panic(err)
	}
	body := `{"id":"evt_1","object":"event","type":"invoice.paid","created":1700000000,"data":{"object":{}}}`
	for _, secret := range []string{whsec, whsec, "whsec_someone_else"} { // Stripe delivers twice, then a forgery
		code, _ := serve(mux, "POST", "/webhooks/stripe", body, stripe.HeaderSignature, stripe.Sign(secret, time.Now(), []byte(body)))
		fmt.Println(code)
	}
	// Output:
	// paid evt_1
	// 200
	// 200
	// 400
}

func Example_ai() {
	mux := http.NewServeMux()
	resp, err := aiSnippet(context.Background(), mux, userOne)
	if err != nil {
		panic(err)
	}
	fmt.Println(resp.Provider, resp.Content)
	_, body := serve(mux, "POST", "/api/ai/chat", `{"prompt":"Hello there","stream":true}`)
	fmt.Println(body)
	// Output:
	// fake echo: Hi
	// data: {"delta":"echo: "}
	//
	// data: {"delta":"Hello "}
	//
	// data: {"delta":"there"}
	//
	// data: {"done":true,"usage":{"prompt_tokens":7,"completion_tokens":5,"total_tokens":12}}
}

func Example_iap() {
	store, _ := billingmem.New(billingmem.Config{})
	ent, _ := billing.NewEntitlements(store, billing.EntitlementsConfig{})
	mux := http.NewServeMux()
	if err := iapSnippet(mux, ent); err != nil {
		panic(err)
	}
	// Only Apple's signature chain is trusted: anything else is refused, and changes no plan.
	code, _ := serve(mux, "POST", "/webhooks/apple", `{"signedPayload":"eyJhbGciOiJFUzI1NiJ9.e30.c2ln"}`)
	plan, _, _ := ent.Plan(context.Background(), "u1")
	fmt.Println(code, plan)
	// Output:
	// 400 free
}

func Example_featureflags() {
	ctx := context.Background()
	mux := http.NewServeMux()
	planOf := func(context.Context, string) (string, time.Time, error) { return "free", time.Time{}, nil }
	routed := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})
	if err := featureflagsSnippet(ctx, mux, userOne, planOf, routed); err != nil {
		panic(err)
	}
	code, body := serve(mux, "POST", "/api/chat/routed", "")
	fmt.Println(code, body)
	_, body = serve(mux, "GET", "/api/features", "")
	var features struct {
		Plan   string
		Quotas map[string]struct{ Used, Remaining int }
	}
	_ = json.Unmarshal([]byte(body), &features)
	fmt.Println(features.Plan, features.Quotas["ai_tokens"])
	// Output:
	// 402 {"error":{"code":"PAYMENT_REQUIRED","message":"your plan does not include ai_routing; upgrade to pro","details":{"feature":"ai_routing","plan":"free","required_plan":"pro"}}}
	// free {1500 98500}
}
