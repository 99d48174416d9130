package memory_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/storage"
	"github.com/omnistack/omnistack/storage/memory"
	"github.com/omnistack/omnistack/storage/storagetest"
)

func TestFileStoreConformance(t *testing.T) {
	t.Parallel()
	storagetest.RunFileStore(t, func(t *testing.T) storage.FileStore {
		s, err := memory.NewFileStore(memory.FileStoreConfig{})
		require.NoError(t, err)
		return s
	})
}
