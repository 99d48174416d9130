// Package ai_test measures the AI gateway against calling the OpenAI SDK
// directly, on the same in-process upstream speaking OpenAI's wire format
// (no network beyond loopback).
//
//	cd bench && go test -run '^$' -bench . -benchmem -count 6 ./ai/
//
// BenchmarkOverhead: one non-streamed completion. "sdk" is
// openai-go's Chat.Completions.New; "router" is ai.Router.Complete over
// ai/openai (validation, routing, the retry policy and breaker, usage
// record and cost); "handler" is the whole POST /chat handler served in
// process (JSON decoding and encoding on top). The difference to "sdk"
// is our overhead.
//
// BenchmarkFirstByte: the upstream stamps the moment it flushes its first
// chunk; the client stamps the moment it reads the first delta. "sdk"
// reads the upstream through openai-go directly; "handler" reads our
// text/event-stream answer through the full middleware chain over
// loopback HTTP. The metric us/first-byte is the mean of those delays;
// the difference is the delay we add.
package ai_test

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	sdk "github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"github.com/omnistack/omnistack/ai"
	"github.com/omnistack/omnistack/ai/fake"
	aiopenai "github.com/omnistack/omnistack/ai/openai"
	"github.com/omnistack/omnistack/httpx"
)

const completion = `{"id":"chatcmpl-1","object":"chat.completion","created":1764000000,"model":"gpt-4o-mini-2024-07-18",` +
	`"choices":[{"index":0,"message":{"role":"assistant","content":"Hello! How can I help you today?","refusal":null},"finish_reason":"stop"}],` +
	`"usage":{"prompt_tokens":9,"completion_tokens":9,"total_tokens":18}}`

// upstream answers every chat completion with a fixed body, or a short
// stream when asked, stamping the moment its first chunk is flushed.
func upstream(b *testing.B, firstAt *atomic.Int64) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if !strings.Contains(string(body), `"stream":true`) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, completion)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		rc := http.NewResponseController(w)
		chunk := func(s string) { _, _ = io.WriteString(w, "data: "+s+"\n\n"); _ = rc.Flush() }
		firstAt.Store(time.Now().UnixNano())
		chunk(`{"id":"c","object":"chat.completion.chunk","created":1,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{"role":"assistant","content":"Hello"},"finish_reason":null}]}`)
		chunk(`{"id":"c","object":"chat.completion.chunk","created":1,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{"content":" there"},"finish_reason":"stop"}]}`)
		chunk(`{"id":"c","object":"chat.completion.chunk","created":1,"model":"gpt-4o-mini","choices":[],"usage":{"prompt_tokens":9,"completion_tokens":2,"total_tokens":11}}`)
		chunk(`[DONE]`)
	}))
	b.Cleanup(srv.Close)
	return srv
}

func client(srv *httptest.Server) *http.Client {
	t := srv.Client().Transport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 64
	return &http.Client{Transport: t}
}

func newRouter(b *testing.B, srv *httptest.Server) *ai.Router {
	p, err := aiopenai.New("sk-bench", aiopenai.Config{BaseURL: srv.URL + "/v1", HTTPClient: client(srv)})
	if err != nil {
		b.Fatal(err)
	}
	rec := ai.UsageRecorderFunc(func(context.Context, ai.UsageRecord) error { return nil })
	r, err := ai.NewRouter([]ai.Provider{p}, ai.RouterConfig{Recorder: rec})
	if err != nil {
		b.Fatal(err)
	}
	return r
}

func newSDK(srv *httptest.Server) sdk.Client {
	return sdk.NewClient(option.WithAPIKey("sk-bench"), option.WithBaseURL(srv.URL+"/v1"),
		option.WithHTTPClient(client(srv)), option.WithMaxRetries(0))
}

func newHandler(b *testing.B, r *ai.Router) http.Handler {
	h, err := ai.NewHandler(r, ai.HandlerConfig{UserID: func(*http.Request) (string, error) { return "user-1", nil }})
	if err != nil {
		b.Fatal(err)
	}
	return httpx.Chain(http.StripPrefix("/api/v1/app/ai", h), httpx.RequestID, httpx.Logger(nil))
}

func BenchmarkOverhead(b *testing.B) {
	var first atomic.Int64
	srv := upstream(b, &first)
	ctx := context.Background()
	b.Run("sdk", func(b *testing.B) {
		c := newSDK(srv)
		params := sdk.ChatCompletionNewParams{Model: "gpt-4o-mini", Messages: []sdk.ChatCompletionMessageParamUnion{sdk.UserMessage("Hi")}}
		b.ReportAllocs()
		for b.Loop() {
			resp, err := c.Chat.Completions.New(ctx, params)
			if err != nil || resp.Choices[0].Message.Content == "" {
				b.Fatal(err)
			}
		}
	})
	b.Run("router", func(b *testing.B) {
		r := newRouter(b, srv)
		req := ai.Request{Model: "gpt-4o-mini", Messages: []ai.Message{{Role: ai.RoleUser, Content: "Hi"}}}
		b.ReportAllocs()
		for b.Loop() {
			resp, err := r.Complete(ctx, req, ai.CallOptions{UserID: "user-1"})
			if err != nil || resp.Content == "" {
				b.Fatal(err)
			}
		}
	})
	b.Run("handler", func(b *testing.B) {
		h := newHandler(b, newRouter(b, srv))
		b.ReportAllocs()
		for b.Loop() {
			req := httptest.NewRequest(http.MethodPost, "/api/v1/app/ai/completions",
				strings.NewReader(`{"messages":[{"role":"user","content":"Hi"}],"model":"gpt-4o-mini"}`))
			req.Header.Set("Content-Type", "application/json")
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code != http.StatusOK {
				b.Fatal(w.Code, w.Body.String())
			}
		}
	})
}

func BenchmarkFirstByte(b *testing.B) {
	var first atomic.Int64
	srv := upstream(b, &first)
	ctx := context.Background()
	b.Run("sdk", func(b *testing.B) {
		c := newSDK(srv)
		params := sdk.ChatCompletionNewParams{Model: "gpt-4o-mini", Messages: []sdk.ChatCompletionMessageParamUnion{sdk.UserMessage("Hi")}}
		var total time.Duration
		for b.Loop() {
			s := c.Chat.Completions.NewStreaming(ctx, params)
			if !s.Next() {
				b.Fatal(s.Err())
			}
			total += time.Duration(time.Now().UnixNano() - first.Load())
			for s.Next() {
			}
			_ = s.Close()
		}
		b.ReportMetric(float64(total.Microseconds())/float64(b.N), "us/first-byte")
	})
	b.Run("handler", func(b *testing.B) {
		gw := httptest.NewServer(newHandler(b, newRouter(b, srv)))
		defer gw.Close()
		c := client(gw)
		var total time.Duration
		for b.Loop() {
			req, _ := http.NewRequest(http.MethodPost, gw.URL+"/api/v1/app/ai/chat", strings.NewReader(`{"prompt":"Hi","stream":true}`))
			req.Header.Set("Content-Type", "application/json")
			resp, err := c.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			br := bufio.NewReader(resp.Body)
			line, err := br.ReadString('\n')
			if err != nil || !strings.HasPrefix(line, `data: {"delta"`) {
				b.Fatal(err, line)
			}
			total += time.Duration(time.Now().UnixNano() - first.Load())
			_, _ = io.Copy(io.Discard, br)
			resp.Body.Close()
		}
		b.ReportMetric(float64(total.Microseconds())/float64(b.N), "us/first-byte")
	})
}

// BenchmarkRouterAlone: ai.Router.Complete over the in-memory fake
// provider, without any HTTP: the gateway's own cost per call.
func BenchmarkRouterAlone(b *testing.B) {
	p, _ := fake.New(fake.Config{Name: ai.ProviderOpenAI})
	rec := ai.UsageRecorderFunc(func(context.Context, ai.UsageRecord) error { return nil })
	r, err := ai.NewRouter([]ai.Provider{p}, ai.RouterConfig{Recorder: rec})
	if err != nil {
		b.Fatal(err)
	}
	req := ai.Request{Messages: []ai.Message{{Role: ai.RoleUser, Content: "Hi"}}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Complete(context.Background(), req, ai.CallOptions{UserID: "user-1"}); err != nil {
			b.Fatal(err)
		}
	}
}
