package storagetest_test

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/omnistack/omnistack/storage"
	"github.com/omnistack/omnistack/storage/memory"
	"github.com/omnistack/omnistack/storage/storagetest"
)

// The suites' key lists are handy in tests of code that builds keys: every
// provider refuses InvalidKeys before any I/O, and stores AwkwardKeys
// unchanged.
func ExampleInvalidKeys() {
	ctx := context.Background()
	bucket, _ := memory.New(memory.Config{})
	refused := 0
	for _, k := range storagetest.InvalidKeys {
		if _, err := bucket.Put(ctx, k, strings.NewReader("x"), nil); errors.Is(err, storage.ErrInvalidKey) {
			refused++
		}
	}
	for _, k := range storagetest.AwkwardKeys {
		if _, err := bucket.Put(ctx, k, strings.NewReader("x"), nil); err != nil {
			fmt.Println(err)
		}
	}
	page, _ := bucket.List(ctx, nil)
	fmt.Println(refused == len(storagetest.InvalidKeys), len(page.Objects) == len(storagetest.AwkwardKeys))
	// Output: true true
}
