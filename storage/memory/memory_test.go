package memory_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/storage"
	"github.com/omnistack/omnistack/storage/memory"
	"github.com/omnistack/omnistack/storage/storagetest"
)

func newBucket(t *testing.T, now func() time.Time) *memory.Bucket {
	return storagetest.NewMemoryBucket(t, now)
}

func TestBucketConformance(t *testing.T) {
	t.Parallel()
	storagetest.Run(t, func(t *testing.T) storage.Bucket { return newBucket(t, nil) })
}

func TestBucketSignedURLs(t *testing.T) {
	t.Parallel()
	storagetest.RunSigned(t, func(t *testing.T, now func() time.Time) storage.Bucket { return newBucket(t, now) })
}

func TestFiles(t *testing.T) {
	t.Parallel()
	storagetest.RunFiles(t, func(t *testing.T) storage.Bucket { return newBucket(t, nil) })
}

func TestBucketConfig(t *testing.T) {
	t.Parallel()
	_, err := memory.New(memory.Config{BaseURL: "not a url"})
	require.ErrorContains(t, err, "BaseURL")
	_, err = memory.New(memory.Config{BaseURL: "http://x", Secret: []byte("short")})
	require.ErrorContains(t, err, "Secret")
	b, err := memory.New(memory.Config{})
	require.NoError(t, err)
	_, err = b.PresignGet(t.Context(), "k", storage.PresignGetOptions{})
	require.ErrorContains(t, err, "BaseURL")
}
