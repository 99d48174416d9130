package storage_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/omnistack/omnistack/storage"
	"github.com/omnistack/omnistack/storage/memory"
)

// Example uploads a file the way a client of the files API does: ask for
// an upload URL, send the bytes there, confirm.
func Example() {
	ctx := context.Background()
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	defer srv.Close()

	bucket, _ := memory.New(memory.Config{BaseURL: srv.URL + "/storage"})
	mux.Handle("/storage/", bucket) // serves the signed URLs
	store, _ := memory.NewFileStore(memory.FileStoreConfig{})
	files, _ := storage.NewFiles(bucket, store, storage.FilesConfig{
		MaxUploadBytes: 10 << 20,
		AllowedTypes:   []string{"text/plain", "image/*"},
	})

	up, err := files.CreateUpload(ctx, "user-1", storage.UploadRequest{
		Filename: "../notes.txt", ContentType: "text/plain", Size: 5,
	})
	if err != nil {
		panic(err)
	}
	req, _ := http.NewRequest(up.Request.Method, up.Request.URL, strings.NewReader("hello"))
	for k, v := range up.Request.Headers {
		req.Header.Set(k, v)
	}
	resp, _ := http.DefaultClient.Do(req)
	resp.Body.Close()

	f, err := files.Confirm(ctx, "user-1", up.File.ID)
	if err != nil {
		panic(err)
	}
	fmt.Println(f.Filename, f.Status, f.Size, f.ContentType)

	_, err = files.CreateUpload(ctx, "user-1", storage.UploadRequest{Filename: "x.html", ContentType: "text/html", Size: 5})
	fmt.Println(err)
	// Output:
	// notes.txt uploaded 5 text/plain
	// storage: unsupported content type: "text/html"
}

func ExampleBucket() {
	ctx := context.Background()
	bucket, _ := memory.New(memory.Config{})
	_, _ = bucket.Put(ctx, "docs/a.txt", bytes.NewReader([]byte("0123456789")), &storage.PutOptions{ContentType: "text/plain"})

	rc, info, _ := bucket.Get(ctx, "docs/a.txt", &storage.GetOptions{Offset: 2, Length: 3})
	part, _ := io.ReadAll(rc)
	rc.Close()
	fmt.Println(string(part), info.Size, info.ContentType)

	page, _ := bucket.List(ctx, &storage.ListOptions{Prefix: "docs/"})
	fmt.Println(len(page.Objects), page.Objects[0].Key)

	_, err := bucket.Stat(ctx, "../etc/passwd")
	fmt.Println(err)
	// Output:
	// 234 10 text/plain
	// 1 docs/a.txt
	// storage: invalid key "../etc/passwd": relative path segment
}

func ExampleKey() {
	key, _ := storage.Key("uploads", "user-1", "f-42", storage.SanitizeFilename(`C:\Users\me\My Photo (1).png`))
	fmt.Println(key)
	_, err := storage.Key("uploads", "../../etc")
	fmt.Println(err)
	// Output:
	// uploads/user-1/f-42/My Photo 1_.png
	// storage: invalid key "../../etc": segment contains a slash
}
