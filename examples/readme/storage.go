package readme

import (
	"net/http"

	"github.com/omnistack/omnistack/httpx"
	"github.com/omnistack/omnistack/storage"
	"github.com/omnistack/omnistack/storage/memory"
)

func storageSnippet(mux *http.ServeMux, userID httpx.UserIDFunc, secret []byte) {
	// given: mux *http.ServeMux, userID httpx.UserIDFunc, secret []byte
	// or local.New(dir, local.Config{...}), or s3.New(client, name, s3.Config{}) for S3, R2 and MinIO
	bucket, _ := memory.New(memory.Config{BaseURL: "http://localhost:8080/storage", Secret: secret})
	mux.Handle("/storage/", bucket)                             // serves the signed URLs of memory and local buckets
	records, _ := memory.NewFileStore(memory.FileStoreConfig{}) // or postgres.New(pool, postgres.Config{})
	files, _ := storage.NewFiles(bucket, records, storage.FilesConfig{
		MaxUploadBytes: 10 << 20, AllowedTypes: []string{"text/plain", "image/*"},
	})
	h, _ := storage.NewHandler(files, storage.HandlerConfig{UserID: userID})
	// POST /upload-url {filename, content_type, size} → {file_id, upload_url, method, headers}; the client
	// sends the bytes there, then POST /confirm {file_id} reads the real size and type from the bucket.
	mux.Handle("/api/files/", http.StripPrefix("/api/files", h))
}
