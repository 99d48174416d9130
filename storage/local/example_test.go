package local_test

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/omnistack/omnistack/storage"
	"github.com/omnistack/omnistack/storage/local"
)

func ExampleNew() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "bucket")
	defer os.RemoveAll(dir)

	bucket, err := local.New(dir, local.Config{
		BaseURL: "https://api.example.com/api/v1/public/storage",
		Secret:  []byte("a secret of at least thirty-two bytes!"),
	})
	if err != nil {
		panic(err)
	}
	defer bucket.Close()
	// mux.Handle("/api/v1/public/storage/", bucket) serves the signed URLs.

	info, _ := bucket.Put(ctx, "reports/q3.csv", strings.NewReader("a,b\n"), &storage.PutOptions{ContentType: "text/csv"})
	fmt.Println(info.Key, info.Size)

	up, _ := bucket.PresignPut(ctx, "reports/q4.csv", storage.PresignPutOptions{ContentType: "text/csv", Size: 1024})
	fmt.Println(up.Method, strings.SplitN(up.URL, "?", 2)[0], up.Headers["Content-Type"])

	_, err = bucket.Put(ctx, "../outside", strings.NewReader("x"), nil)
	fmt.Println(err)
	// Output:
	// reports/q3.csv 4
	// PUT https://api.example.com/api/v1/public/storage/reports/q4.csv text/csv
	// storage: invalid key "../outside": relative path segment
}
