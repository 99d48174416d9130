package httpx_test

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"

	"github.com/omnistack/omnistack/httpx"
)

type createNote struct {
	Title string `json:"title"`
}

func (in createNote) Validate() error {
	var errs httpx.FieldErrors
	errs.Check(httpx.LenBetween(in.Title, 1, 100), "title", "must be 1 to 100 characters")
	return errs.Err()
}

func Example() {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /notes", func(w http.ResponseWriter, r *http.Request) {
		var in createNote
		if err := httpx.DecodeJSON(w, r, &in); err != nil {
			httpx.WriteError(w, r, err)
			return
		}
		httpx.WriteJSON(w, http.StatusCreated, map[string]string{"title": in.Title})
	})
	handler := httpx.Chain(mux,
		httpx.RequestID,
		httpx.SecurityHeaders(httpx.SecurityConfig{}),
		httpx.Logger(slog.New(slog.DiscardHandler)),
		httpx.Recover(nil),
		httpx.MuxErrors,
	)

	for _, body := range []string{`{"title":"hello"}`, `{"title":""}`, `{"title":"x","color":"red"}`} {
		req := httptest.NewRequest("POST", "/notes", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, req)
		out, _ := io.ReadAll(rec.Body)
		fmt.Print(rec.Code, " ", string(out))
	}
	// Output:
	// 201 {"title":"hello"}
	// 422 {"error":{"code":"VALIDATION_ERROR","message":"request validation failed","details":{"fields":[{"field":"title","message":"must be 1 to 100 characters"}]}}}
	// 422 {"error":{"code":"VALIDATION_ERROR","message":"request validation failed","details":{"fields":[{"field":"color","message":"is not a known field"}]}}}
}

// The access log written in batches: one write system call per 32 KiB or
// 100 ms instead of one per request. Close it after the server stops.
func ExampleBufferedWriter() {
	out, err := httpx.NewBufferedWriter(os.Stdout, httpx.BufferedWriterConfig{})
	if err != nil {
		panic(err)
	}
	logger := slog.New(slog.NewJSONHandler(out, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{} // a fixed output for the example
			}
			return a
		},
	}))
	logger.Info("http request", "status", 200)
	_ = out.Close()
	// Output: {"level":"INFO","msg":"http request","status":200}
}
