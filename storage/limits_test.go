package storage_test

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/storage"
)

// TestHandlerCapsPendingUploads replays the finding: one account asks for
// 50 upload URLs of 50 MiB at once. With the default limits no more than
// 20 URLs, and no more than 200 MiB of declared bytes, are handed out; the
// rest are 429 QUOTA_EXCEEDED, and another user is not affected.
func TestHandlerCapsPendingUploads(t *testing.T) {
	t.Parallel()
	a := newAPI(t, storage.FilesConfig{})
	const asks = 50
	codes := make([]int, asks)
	bodies := make([]map[string]any, asks)
	var wg sync.WaitGroup
	for i := range asks {
		wg.Go(func() {
			codes[i], bodies[i] = a.do(t, "mallory", http.MethodPost, "/upload-url",
				map[string]any{"filename": "big.bin", "content_type": "application/zip", "size": 50 << 20})
		})
	}
	wg.Wait()
	granted := 0
	for i, code := range codes {
		switch code {
		case http.StatusCreated:
			granted++
		case http.StatusTooManyRequests:
			assert.Equal(t, "QUOTA_EXCEEDED", errCode(bodies[i]))
		default:
			t.Errorf("answer %d: %d %v", i, code, bodies[i])
		}
	}
	assert.Equal(t, 4, granted, "200 MiB of pending bytes hold four 50 MiB uploads")
	code, list := a.do(t, "mallory", http.MethodGet, "/?status=pending&page_size=100", nil)
	require.Equal(t, http.StatusOK, code)
	assert.Equal(t, float64(granted), list["total"], "refused requests record nothing")

	code, _ = a.do(t, "alice", http.MethodPost, "/upload-url",
		map[string]any{"filename": "a.zip", "content_type": "application/zip", "size": 50 << 20})
	assert.Equal(t, http.StatusCreated, code, "limits are per user")
}

// TestQuotaHook: the hook sees the owner's usage, confirmed bytes
// included, and its *QuotaError is answered 429 QUOTA_EXCEEDED with the
// quota's figures.
func TestQuotaHook(t *testing.T) {
	t.Parallel()
	const limit = 12
	var seen []storage.Usage
	a := newAPI(t, storage.FilesConfig{Quota: func(ctx context.Context, owner string, u storage.Usage, size int64) (func(context.Context) error, error) {
		seen = append(seen, u)
		if used := u.Bytes + u.PendingBytes; used+size > limit {
			return nil, &storage.QuotaError{Quota: "storage_bytes", Limit: limit, Used: used, Requested: size}
		}
		return nil, nil
	}})
	a.upload(t, "u", "a.txt", "text/plain", []byte("12345678"))
	code, up := a.do(t, "u", http.MethodPost, "/upload-url", map[string]any{"filename": "b.txt", "content_type": "text/plain", "size": 3})
	require.Equal(t, http.StatusCreated, code, "%v", up)
	code, body := a.do(t, "u", http.MethodPost, "/upload-url", map[string]any{"filename": "c.txt", "content_type": "text/plain", "size": 2})
	require.Equal(t, http.StatusTooManyRequests, code)
	assert.Equal(t, map[string]any{"code": "QUOTA_EXCEEDED", "message": "the storage quota is used up",
		"details": map[string]any{"quota": "storage_bytes", "limit": float64(12), "used": float64(11), "requested": float64(2)}}, body["error"])
	require.Len(t, seen, 3)
	assert.Equal(t, storage.Usage{Files: 1, Bytes: 8, PendingUploads: 1, PendingBytes: 3}, seen[2])
}

// TestQuotaReleasedWhenTheUploadIsNotRecorded: a hook that counts what it
// allows gets it back when the file cannot be recorded after it (here the
// pending limit, which the store enforces as it records), so the refused
// upload counts nothing.
func TestQuotaReleasedWhenTheUploadIsNotRecorded(t *testing.T) {
	t.Parallel()
	var counted atomic.Int64
	a := newAPI(t, storage.FilesConfig{MaxPendingUploads: 1, MaxPendingBytes: -1,
		Quota: func(ctx context.Context, owner string, u storage.Usage, size int64) (func(context.Context) error, error) {
			counted.Add(size)
			return func(context.Context) error {
				counted.Add(-size)
				return nil
			}, nil
		}})
	code, _ := a.do(t, "u", http.MethodPost, "/upload-url", map[string]any{"filename": "a.txt", "content_type": "text/plain", "size": 5})
	require.Equal(t, http.StatusCreated, code)
	code, body := a.do(t, "u", http.MethodPost, "/upload-url", map[string]any{"filename": "b.txt", "content_type": "text/plain", "size": 7})
	require.Equal(t, http.StatusTooManyRequests, code, "%v", body)
	assert.Equal(t, "pending_uploads", body["error"].(map[string]any)["details"].(map[string]any)["quota"])
	assert.Equal(t, int64(5), counted.Load(), "the refused upload's 7 bytes were given back")
}

func TestPendingLimitDetails(t *testing.T) {
	t.Parallel()
	a := newAPI(t, storage.FilesConfig{MaxPendingUploads: 1, MaxPendingBytes: -1})
	code, _ := a.do(t, "u", http.MethodPost, "/upload-url", map[string]any{"filename": "a.txt", "content_type": "text/plain", "size": 1})
	require.Equal(t, http.StatusCreated, code)
	code, body := a.do(t, "u", http.MethodPost, "/upload-url", map[string]any{"filename": "b.txt", "content_type": "text/plain", "size": 1})
	require.Equal(t, http.StatusTooManyRequests, code)
	assert.Equal(t, map[string]any{"quota": "pending_uploads", "limit": float64(1), "used": float64(1), "requested": float64(1)},
		body["error"].(map[string]any)["details"])
	u, err := a.files.Usage(t.Context(), "u")
	require.NoError(t, err)
	assert.Equal(t, 1, u.PendingUploads)
}

// TestPeriodicQuotaDetails: a hook's quota that renews answers with
// details.resets_at and Retry-After, as a spent plan quota must.
func TestPeriodicQuotaDetails(t *testing.T) {
	t.Parallel()
	resets := time.Now().Add(90 * time.Minute).UTC().Truncate(time.Second)
	a := newAPI(t, storage.FilesConfig{Quota: func(ctx context.Context, owner string, u storage.Usage, size int64) (func(context.Context) error, error) {
		return nil, &storage.QuotaError{Quota: "storage_bytes", Limit: 10, Used: 10, Requested: size, ResetsAt: resets}
	}})
	code, body := a.do(t, "u", http.MethodPost, "/upload-url", map[string]any{"filename": "b.txt", "content_type": "text/plain", "size": 3})
	require.Equal(t, http.StatusTooManyRequests, code)
	details := body["error"].(map[string]any)["details"].(map[string]any)
	assert.Equal(t, resets.Format(time.RFC3339), details["resets_at"])
	assert.Equal(t, "storage_bytes", details["quota"])
}
