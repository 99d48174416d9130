package memory_test

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/omnistack/omnistack/storage"
	"github.com/omnistack/omnistack/storage/memory"
)

func ExampleNew() {
	ctx := context.Background()
	bucket, _ := memory.New(memory.Config{})
	_, _ = bucket.Put(ctx, "greetings/hello.txt", strings.NewReader("hello"), &storage.PutOptions{
		ContentType: "text/plain",
		Metadata:    map[string]string{"Author": "ada"},
	})
	rc, info, _ := bucket.Get(ctx, "greetings/hello.txt", nil)
	defer rc.Close()
	data, _ := io.ReadAll(rc)
	fmt.Println(string(data), info.Size, info.ContentType, info.Metadata["author"])
	// Output: hello 5 text/plain ada
}

func ExampleNewFileStore() {
	ctx := context.Background()
	store, err := memory.NewFileStore(memory.FileStoreConfig{})
	if err != nil {
		panic(err)
	}
	_ = store.Create(ctx, storage.File{ID: "f1", OwnerID: "u1", Key: "uploads/u1/f1/a.txt", Filename: "a.txt",
		ContentType: "text/plain", Size: 3, Status: storage.StatusPending}, storage.PendingLimit{})
	_, err = store.Get(ctx, "someone-else", "f1")
	fmt.Println(err)
	// Output: storage: not found: file "f1"
}
