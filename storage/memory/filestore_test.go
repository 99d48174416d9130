package memory_test

import (
	"testing"

	"github.com/omnistack/omnistack/storage"
	"github.com/omnistack/omnistack/storage/memory"
	"github.com/omnistack/omnistack/storage/storagetest"
)

func TestFileStoreConformance(t *testing.T) {
	t.Parallel()
	storagetest.RunFileStore(t, func(t *testing.T) storage.FileStore { return memory.NewFileStore() })
}
