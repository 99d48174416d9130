package storagetest

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/omnistack/omnistack/storage/memory"
)

// NewMemoryBucket returns an empty memory bucket whose presigned URLs work:
// an httptest.Server serves them and closes when the test ends. now is the
// bucket's clock (nil: time.Now). Use it in tests of code that hands out
// upload or download URLs.
func NewMemoryBucket(t testing.TB, now func() time.Time) *memory.Bucket {
	t.Helper()
	h := http.NotFoundHandler()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	b, err := memory.New(memory.Config{BaseURL: srv.URL + "/storage", Now: now})
	if err != nil {
		t.Fatalf("storagetest: %v", err)
	}
	h = b
	return b
}
