// Package storage_test compares storage providers with their peers:
// gocloud.dev/blob (fileblob on local disk, s3blob on S3), the raw AWS SDK
// and plain os file writes, on put/get of 1 KiB and 10 MiB objects, and
// measures the cost of files API requests and of the per-owner pending
// upload limits.
//
//	cd bench && go test -run '^$' -bench . -benchtime 2s ./storage/
package storage_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"gocloud.dev/blob"
	"gocloud.dev/blob/fileblob"
	"gocloud.dev/blob/s3blob"

	"github.com/omnistack/omnistack/httpx"
	"github.com/omnistack/omnistack/storage"
	"github.com/omnistack/omnistack/storage/local"
	"github.com/omnistack/omnistack/storage/memory"
	storagepg "github.com/omnistack/omnistack/storage/postgres"
	"github.com/omnistack/omnistack/storage/s3"
	"github.com/omnistack/omnistack/testenv"
)

var sizes = []struct {
	name string
	n    int
}{{"1KiB", 1 << 10}, {"10MiB", 10 << 20}}

func payload(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i * 7)
	}
	return b
}

// putGetter is the common shape of every contender.
type putGetter struct {
	put func(ctx context.Context, key string, data []byte) error
	get func(ctx context.Context, key string) (int64, error)
}

func ours(b storage.Bucket) putGetter {
	return putGetter{
		put: func(ctx context.Context, key string, data []byte) error {
			_, err := b.Put(ctx, key, bytes.NewReader(data), &storage.PutOptions{ContentType: "application/octet-stream"})
			return err
		},
		get: func(ctx context.Context, key string) (int64, error) {
			rc, _, err := b.Get(ctx, key, nil)
			if err != nil {
				return 0, err
			}
			defer rc.Close()
			return io.Copy(io.Discard, rc)
		},
	}
}

func gocloud(bkt *blob.Bucket) putGetter {
	return putGetter{
		put: func(ctx context.Context, key string, data []byte) error {
			return bkt.Upload(ctx, key, bytes.NewReader(data), &blob.WriterOptions{ContentType: "application/octet-stream"})
		},
		get: func(ctx context.Context, key string) (int64, error) {
			r, err := bkt.NewReader(ctx, key, nil)
			if err != nil {
				return 0, err
			}
			defer r.Close()
			return io.Copy(io.Discard, r)
		},
	}
}

// rawFile is the floor on disk: temp file, write, rename; open, copy.
func rawFile(dir string) putGetter {
	return putGetter{
		put: func(_ context.Context, key string, data []byte) error {
			p := filepath.Join(dir, key)
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				return err
			}
			f, err := os.CreateTemp(dir, "tmp")
			if err != nil {
				return err
			}
			if _, err := f.Write(data); err != nil {
				return err
			}
			if err := f.Close(); err != nil {
				return err
			}
			return os.Rename(f.Name(), p)
		},
		get: func(_ context.Context, key string) (int64, error) {
			f, err := os.Open(filepath.Join(dir, key))
			if err != nil {
				return 0, err
			}
			defer f.Close()
			return io.Copy(io.Discard, f)
		},
	}
}

// rawSDK is the floor on S3: one PutObject / GetObject with the AWS SDK.
func rawSDK(client *awss3.Client, bucket string) putGetter {
	return putGetter{
		put: func(ctx context.Context, key string, data []byte) error {
			_, err := client.PutObject(ctx, &awss3.PutObjectInput{Bucket: &bucket, Key: &key, Body: bytes.NewReader(data),
				ContentLength: aws.Int64(int64(len(data))), ContentType: aws.String("application/octet-stream")})
			return err
		},
		get: func(ctx context.Context, key string) (int64, error) {
			out, err := client.GetObject(ctx, &awss3.GetObjectInput{Bucket: &bucket, Key: &key})
			if err != nil {
				return 0, err
			}
			defer out.Body.Close()
			return io.Copy(io.Discard, out.Body)
		},
	}
}

func run(b *testing.B, pg putGetter) {
	for _, sz := range sizes {
		data := payload(sz.n)
		ctx := context.Background()
		b.Run("put/"+sz.name, func(b *testing.B) {
			b.SetBytes(int64(sz.n))
			i := 0
			for b.Loop() {
				if err := pg.put(ctx, fmt.Sprintf("bench/put/%s/%d", sz.name, i%64), data); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
		b.Run("get/"+sz.name, func(b *testing.B) {
			key := "bench/get/" + sz.name
			if err := pg.put(ctx, key, data); err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(sz.n))
			for b.Loop() {
				n, err := pg.get(ctx, key)
				if err != nil || n != int64(sz.n) {
					b.Fatal(n, err)
				}
			}
		})
	}
}

func BenchmarkDisk(b *testing.B) {
	b.Run("omnistack-local", func(b *testing.B) {
		bkt, err := local.New(b.TempDir(), local.Config{NoSync: true})
		if err != nil {
			b.Fatal(err)
		}
		defer bkt.Close()
		run(b, ours(bkt))
	})
	b.Run("omnistack-local-fsync", func(b *testing.B) {
		bkt, err := local.New(b.TempDir(), local.Config{})
		if err != nil {
			b.Fatal(err)
		}
		defer bkt.Close()
		run(b, ours(bkt))
	})
	b.Run("gocloud-fileblob", func(b *testing.B) {
		bkt, err := fileblob.OpenBucket(b.TempDir(), &fileblob.Options{CreateDir: true})
		if err != nil {
			b.Fatal(err)
		}
		defer bkt.Close()
		run(b, gocloud(bkt))
	})
	b.Run("raw-os", func(b *testing.B) { run(b, rawFile(b.TempDir())) })
}

func newFakeS3(b *testing.B) (*awss3.Client, string) {
	fake := httptest.NewServer(gofakes3.New(s3mem.New()).Server())
	b.Cleanup(fake.Close)
	client, err := s3.NewClient(context.Background(), s3.ClientConfig{Region: "us-east-1", Endpoint: fake.URL, UsePathStyle: true,
		AccessKeyID: "AKID", SecretAccessKey: "secret"})
	if err != nil {
		b.Fatal(err)
	}
	name := "bench"
	if _, err := client.CreateBucket(context.Background(), &awss3.CreateBucketInput{Bucket: &name}); err != nil {
		b.Fatal(err)
	}
	return client, name
}

func BenchmarkS3(b *testing.B) {
	b.Run("omnistack-s3", func(b *testing.B) {
		client, name := newFakeS3(b)
		bkt, err := s3.New(client, name, s3.Config{PartSize: 16 << 20})
		if err != nil {
			b.Fatal(err)
		}
		run(b, ours(bkt))
	})
	b.Run("gocloud-s3blob", func(b *testing.B) {
		client, name := newFakeS3(b)
		bkt, err := s3blob.OpenBucket(context.Background(), client, name, nil)
		if err != nil {
			b.Fatal(err)
		}
		defer bkt.Close()
		run(b, gocloud(bkt))
	})
	b.Run("raw-sdk", func(b *testing.B) {
		client, name := newFakeS3(b)
		run(b, rawSDK(client, name))
	})
}

// BenchmarkFilesAPI is the cost of files API requests through the handler
// (JSON decode, validation, presigning, the memory record store), with the
// local bucket and no network.
func BenchmarkFilesAPI(b *testing.B) {
	bkt, err := local.New(b.TempDir(), local.Config{BaseURL: "http://localhost/api/v1/public/storage", NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	defer bkt.Close()
	store, err := memory.NewFileStore(memory.FileStoreConfig{})
	if err != nil {
		b.Fatal(err)
	}
	// No pending limits: user-1 asks for b.N upload URLs.
	files, err := storage.NewFiles(bkt, store, storage.FilesConfig{MaxPendingUploads: -1, MaxPendingBytes: -1})
	if err != nil {
		b.Fatal(err)
	}
	h, err := storage.NewHandler(files, storage.HandlerConfig{UserID: func(*http.Request) (string, error) { return "user-1", nil }})
	if err != nil {
		b.Fatal(err)
	}
	handler := httpx.Chain(h, httpx.RequestID)
	do := func(method, path, body string) *httptest.ResponseRecorder {
		var rd io.Reader
		if body != "" {
			rd = strings.NewReader(body)
		}
		req := httptest.NewRequest(method, path, rd)
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, req)
		return rec
	}
	uploadBody := `{"filename":"photo.png","content_type":"image/png","size":1024}`
	b.Run("upload-url", func(b *testing.B) {
		for b.Loop() {
			if rec := do("POST", "/upload-url", uploadBody); rec.Code != http.StatusCreated {
				b.Fatal(rec.Code, rec.Body.String())
			}
		}
	})
	// confirm: each iteration confirms a fresh pending upload whose object is
	// in place (that setup is not timed).
	b.Run("confirm", func(b *testing.B) {
		ctx := context.Background()
		data := payload(1024)
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			u, err := files.CreateUpload(ctx, "user-1", storage.UploadRequest{Filename: "a.png", ContentType: "image/png", Size: 1024})
			if err != nil {
				b.Fatal(err)
			}
			if _, err := bkt.Put(ctx, u.File.Key, bytes.NewReader(data), &storage.PutOptions{ContentType: "image/png"}); err != nil {
				b.Fatal(err)
			}
			body := `{"file_id":"` + u.File.ID + `"}`
			b.StartTimer()
			if rec := do("POST", "/confirm", body); rec.Code != http.StatusOK {
				b.Fatal(rec.Code, rec.Body.String())
			}
		}
	})
	list, _, err := files.List(context.Background(), "user-1", storage.FileQuery{Status: storage.StatusUploaded, Limit: 1})
	if err != nil || len(list) == 0 {
		b.Fatal("no uploaded file", err)
	}
	id := list[0].ID
	b.Run("get", func(b *testing.B) {
		for b.Loop() {
			if rec := do("GET", "/"+id, ""); rec.Code != http.StatusOK {
				b.Fatal(rec.Code)
			}
		}
	})
	b.Run("download-url", func(b *testing.B) {
		for b.Loop() {
			if rec := do("GET", "/"+id+"/download-url", ""); rec.Code != http.StatusOK {
				b.Fatal(rec.Code)
			}
		}
	})
	// list: a user with 100 files (user-1 has tens of thousands by now).
	store2, _ := memory.NewFileStore(memory.FileStoreConfig{})
	for i := range 100 {
		f := storage.File{ID: fmt.Sprintf("f%03d", i), OwnerID: "user-2", Key: fmt.Sprintf("uploads/user-2/f%03d/a.png", i),
			Filename: "a.png", ContentType: "image/png", Size: 1024, Status: storage.StatusUploaded}
		if err := store2.Create(context.Background(), f, storage.PendingLimit{}); err != nil {
			b.Fatal(err)
		}
	}
	files2, _ := storage.NewFiles(bkt, store2, storage.FilesConfig{})
	h2, _ := storage.NewHandler(files2, storage.HandlerConfig{UserID: func(*http.Request) (string, error) { return "user-2", nil }})
	b.Run("list-20-of-100", func(b *testing.B) {
		for b.Loop() {
			rec := httptest.NewRecorder()
			h2.ServeHTTP(rec, httptest.NewRequest("GET", "/?page_size=20", nil))
			if rec.Code != http.StatusOK {
				b.Fatal(rec.Code)
			}
		}
	})
}

// BenchmarkCreateUpload is the cost of the per-owner pending limits:
// Files.CreateUpload with no limit and with the default limits, on the
// memory and the PostgreSQL record stores (PostgreSQL checks the limit in
// a transaction under an advisory lock on the owner). Owners change every
// ten uploads, so the limit is counted but never reached.
func BenchmarkCreateUpload(b *testing.B) {
	bkt, err := memory.New(memory.Config{BaseURL: "http://localhost/storage"})
	if err != nil {
		b.Fatal(err)
	}
	stores := []struct {
		name string
		open func(b *testing.B) storage.FileStore
	}{
		{"memory", func(b *testing.B) storage.FileStore {
			s, err := memory.NewFileStore(memory.FileStoreConfig{})
			if err != nil {
				b.Fatal(err)
			}
			return s
		}},
		{"postgres", func(b *testing.B) storage.FileStore {
			pool := testenv.Postgres(b)
			if err := storagepg.Migrate(context.Background(), pool); err != nil {
				b.Fatal(err)
			}
			s, err := storagepg.New(pool, storagepg.Config{})
			if err != nil {
				b.Fatal(err)
			}
			return s
		}},
	}
	limits := []struct {
		name string
		cfg  storage.FilesConfig
	}{
		{"no-limit", storage.FilesConfig{MaxPendingUploads: -1, MaxPendingBytes: -1}},
		{"limit", storage.FilesConfig{}},
	}
	req := storage.UploadRequest{Filename: "photo.png", ContentType: "image/png", Size: 1024}
	for _, st := range stores {
		store := st.open(b)
		for _, l := range limits {
			files, err := storage.NewFiles(bkt, store, l.cfg)
			if err != nil {
				b.Fatal(err)
			}
			i := 0 // across runs (-count), so owners stay fresh
			b.Run(st.name+"/"+l.name, func(b *testing.B) {
				ctx := context.Background()
				for b.Loop() {
					owner := fmt.Sprintf("%s-%d", l.name, i/10)
					i++
					if _, err := files.CreateUpload(ctx, owner, req); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
