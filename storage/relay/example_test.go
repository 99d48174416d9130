package relay_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/omnistack/omnistack/storage"
	"github.com/omnistack/omnistack/storage/memory"
	"github.com/omnistack/omnistack/storage/relay"
)

// A bucket that cannot presign uploads (here a memory bucket without a
// BaseURL; in production storage/cloudinary) gets upload URLs served by
// the relay's handler. The client sends the bytes as it would to S3.
func Example() {
	ctx := context.Background()
	inner, err := memory.New(memory.Config{})
	if err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	defer srv.Close()

	bucket, err := relay.New(inner, relay.Config{
		BaseURL: srv.URL + "/api/v1/public/storage",
		Secret:  []byte("an example secret of 32 bytes..."),
	})
	if err != nil {
		panic(err)
	}
	mux.Handle("/api/v1/public/storage/", bucket)

	up, err := bucket.PresignPut(ctx, "docs/hello.txt", storage.PresignPutOptions{ContentType: "text/plain", Size: 5})
	if err != nil {
		panic(err)
	}
	send := func(body string) int {
		req, err := http.NewRequestWithContext(ctx, up.Method, up.URL, strings.NewReader(body))
		if err != nil {
			panic(err)
		}
		for k, v := range up.Headers {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			panic(err)
		}
		_ = resp.Body.Close()
		return resp.StatusCode
	}
	fmt.Println("upload:", send("hello"))
	info, err := inner.Stat(ctx, "docs/hello.txt")
	if err != nil {
		panic(err)
	}
	fmt.Println("stored:", info.Size, info.ContentType)
	fmt.Println("again:", send("HELLO"))
	// Output:
	// upload: 200
	// stored: 5 text/plain
	// again: 412
}
