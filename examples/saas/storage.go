package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/omnistack/omnistack/httpx"
	"github.com/omnistack/omnistack/jobs"
	"github.com/omnistack/omnistack/storage"
	"github.com/omnistack/omnistack/storage/cloudinary"
	"github.com/omnistack/omnistack/storage/local"
	"github.com/omnistack/omnistack/storage/memory"
	"github.com/omnistack/omnistack/storage/postgres"
	"github.com/omnistack/omnistack/storage/relay"
	"github.com/omnistack/omnistack/storage/s3"
)

// storageConfig is the storage block's environment.
type storageConfig struct {
	Provider          string   `env:"STORAGE_PROVIDER" envDefault:"local"`
	LocalDir          string   `env:"STORAGE_LOCAL_DIR" envDefault:"./data/uploads"`
	MaxUploadBytes    int64    `env:"STORAGE_MAX_UPLOAD_BYTES" envDefault:"52428800"`
	AllowedTypes      []string `env:"STORAGE_ALLOWED_TYPES" envSeparator:","`
	AWSS3Bucket       string   `env:"AWS_S3_BUCKET"`
	AWSRegion         string   `env:"AWS_REGION"`
	AWSEndpointURLS3  string   `env:"AWS_ENDPOINT_URL_S3"`
	S3ForcePathStyle  bool     `env:"S3_FORCE_PATH_STYLE"`
	R2AccountID       string   `env:"R2_ACCOUNT_ID"`
	R2AccessKeyID     string   `env:"R2_ACCESS_KEY_ID"`
	R2SecretAccessKey string   `env:"R2_SECRET_ACCESS_KEY"`
	R2Bucket          string   `env:"R2_BUCKET"`
	CloudinaryURL     string   `env:"CLOUDINARY_URL"`
	CloudinaryFolder  string   `env:"CLOUDINARY_FOLDER"`
	CloudinaryAPIURL  string   `env:"CLOUDINARY_API_URL"` // tests point it at a fake
}

func (c *storageConfig) normalize() []error {
	c.AllowedTypes = normalizeList(c.AllowedTypes, strings.ToLower)
	var errs []error
	errs = appendErr(errs, oneOf("STORAGE_PROVIDER", c.Provider, "local", "s3", "r2", "cloudinary"))
	if c.MaxUploadBytes <= 0 {
		errs = append(errs, fmt.Errorf("STORAGE_MAX_UPLOAD_BYTES must be positive, got %d", c.MaxUploadBytes))
	}
	switch c.Provider {
	case "s3":
		if c.AWSS3Bucket == "" {
			errs = append(errs, fmt.Errorf("AWS_S3_BUCKET is required with STORAGE_PROVIDER=s3"))
		}
	case "r2":
		for _, v := range [][2]string{{"R2_ACCOUNT_ID", c.R2AccountID}, {"R2_ACCESS_KEY_ID", c.R2AccessKeyID},
			{"R2_SECRET_ACCESS_KEY", c.R2SecretAccessKey}, {"R2_BUCKET", c.R2Bucket}} {
			if v[1] == "" {
				errs = append(errs, fmt.Errorf("%s is required with STORAGE_PROVIDER=r2", v[0]))
			}
		}
	case "cloudinary":
		errs = append(errs, c.cloudinaryErrors()...)
	}
	return errs
}

// cloudinaryErrors checks the Cloudinary settings. No message repeats
// CLOUDINARY_URL's value: cloudinary.ParseURL's errors leave out the
// secret.
func (c *storageConfig) cloudinaryErrors() []error {
	if c.CloudinaryURL == "" {
		return []error{errors.New("CLOUDINARY_URL is required with STORAGE_PROVIDER=cloudinary")}
	}
	creds, err := cloudinary.ParseURL(c.CloudinaryURL)
	if err != nil {
		return []error{fmt.Errorf("CLOUDINARY_URL must be cloudinary://<api_key>:<api_secret>@<cloud_name>: %w", err)}
	}
	var errs []error
	// New checks its Config and contacts nothing.
	if _, err := cloudinary.New(creds, cloudinary.Config{Folder: c.CloudinaryFolder}); err != nil {
		errs = append(errs, fmt.Errorf("CLOUDINARY_FOLDER: %w", err))
	}
	if _, err := cloudinary.New(creds, cloudinary.Config{APIURL: c.CloudinaryAPIURL}); err != nil {
		errs = append(errs, fmt.Errorf("CLOUDINARY_API_URL: %w", err))
	}
	return errs
}

// storagePublicPath is where the local provider's signed URLs, and the
// relayed uploads of the Cloudinary provider, are served.
const storagePublicPath = "/api/v1/public/storage"

// storageModule is the files API and, with the local and Cloudinary
// providers, the handler of the server's own signed URLs.
type storageModule struct {
	routes routes
	close  func()
}

// newStorage wires the bucket of STORAGE_PROVIDER (local by default, its
// signed URLs served under PUBLIC_BASE_URL + /api/v1/public/storage and
// keyed by urlKey; Cloudinary's uploads relayed there too), the file records (PostgreSQL on pool, memory
// otherwise) and the files API of the user
// userID names, and registers the hourly clean-up of pending uploads on
// client.
func newStorage(ctx context.Context, cfg storageConfig, srv serverConfig, pool *pgxpool.Pool,
	urlKey []byte, userID httpx.UserIDFunc, features *featuresModule, client *jobs.Client, tel otelProviders,
	logger *slog.Logger) (*storageModule, error) {
	m := &storageModule{close: func() {}}
	bucket, err := m.bucket(ctx, cfg, srv, urlKey, logger)
	if err != nil {
		return nil, err
	}
	if tel.on() { // a span and a duration per bucket call; object keys are never recorded
		if bucket, err = storage.NewInstrumented(bucket, storage.InstrumentedConfig{
			Provider: cfg.Provider, TracerProvider: tel.tracer, MeterProvider: tel.meter}); err != nil {
			return nil, err
		}
	}
	var store storage.FileStore
	if pool != nil {
		if store, err = postgres.New(pool, postgres.Config{}); err != nil {
			return nil, err
		}
	} else if store, err = memory.NewFileStore(memory.FileStoreConfig{}); err != nil {
		return nil, err
	}
	allowed := cfg.AllowedTypes
	if len(allowed) == 0 {
		allowed = storage.DefaultAllowedTypes()
	}
	fcfg := storage.FilesConfig{
		MaxUploadBytes:    cfg.MaxUploadBytes,
		AllowedTypes:      allowed,
		MaxPendingUploads: storage.DefaultMaxPendingUploads,
		MaxPendingBytes:   storage.DefaultPendingBytesFactor * cfg.MaxUploadBytes,
		Logger:            logger,
	}
	fcfg.Quota = storageQuota(features.flags, fcfg)
	files, err := storage.NewFiles(bucket, store, fcfg)
	if err != nil {
		return nil, fmt.Errorf("STORAGE_ALLOWED_TYPES / STORAGE_MAX_UPLOAD_BYTES: %w", err)
	}
	h, err := storage.NewHandler(files, storage.HandlerConfig{UserID: userID})
	if err != nil {
		return nil, err
	}
	if err := scheduleStorageCleanup(client, files.CleanupPending, logger); err != nil { //nolint:contextcheck // registers a schedule; each run gets the job's ctx
		return nil, err
	}
	m.routes.app = []route{
		{"POST /api/v1/app/files/upload-url", features.require("file_uploads", h.CreateUploadURL)},
		{"POST /api/v1/app/files/confirm", h.Confirm},
		{"GET /api/v1/app/files", h.List},
		{"GET /api/v1/app/files/{id}", h.Get},
		{"GET /api/v1/app/files/{id}/download-url", h.DownloadURL},
		{"DELETE /api/v1/app/files/{id}", h.Delete},
	}
	return m, nil
}

// bucket opens the bucket of STORAGE_PROVIDER; the local one adds the
// route of its signed URLs and its closer to m, the Cloudinary one the
// route of its relayed uploads.
func (m *storageModule) bucket(ctx context.Context, c storageConfig, srv serverConfig, urlKey []byte, logger *slog.Logger) (storage.Bucket, error) {
	switch c.Provider {
	case "cloudinary":
		return m.cloudinary(c, srv, urlKey, logger)
	case "s3":
		client, err := s3.NewClient(ctx, s3.ClientConfig{
			Region: c.AWSRegion, Endpoint: c.AWSEndpointURLS3, UsePathStyle: c.S3ForcePathStyle,
		})
		if err != nil {
			return nil, err
		}
		return s3.New(client, c.AWSS3Bucket, s3.Config{Logger: logger})
	case "r2":
		client, err := s3.NewClient(ctx, s3.R2(c.R2AccountID, c.R2AccessKeyID, c.R2SecretAccessKey))
		if err != nil {
			return nil, err
		}
		return s3.New(client, c.R2Bucket, s3.Config{Logger: logger})
	}
	b, err := local.New(c.LocalDir, local.Config{
		BaseURL: srv.PublicBaseURL + storagePublicPath,
		Secret:  urlKey,
		Logger:  logger,
	})
	if err != nil {
		return nil, fmt.Errorf("STORAGE_LOCAL_DIR: %w", err)
	}
	m.close = func() { _ = b.Close() }
	m.routes.public = append(m.routes.public, route{storagePublicPath + "/", b.ServeHTTP})
	return b, nil
}

// cloudinary opens the Cloudinary bucket behind a relay: Cloudinary takes
// no presigned PUT, so upload URLs point at this server, which streams the
// bytes on to Cloudinary; downloads are Cloudinary's own signed links.
func (m *storageModule) cloudinary(c storageConfig, srv serverConfig, urlKey []byte, logger *slog.Logger) (storage.Bucket, error) {
	if srv.production() && c.CloudinaryAPIURL != "" && !strings.HasPrefix(c.CloudinaryAPIURL, "https://") {
		return nil, fmt.Errorf("CLOUDINARY_API_URL must be an https URL in production, got %q", c.CloudinaryAPIURL)
	}
	creds, err := cloudinary.ParseURL(c.CloudinaryURL) // checked by normalize
	if err != nil {
		return nil, err
	}
	cb, err := cloudinary.New(creds, cloudinary.Config{Folder: c.CloudinaryFolder, APIURL: c.CloudinaryAPIURL})
	if err != nil {
		return nil, err
	}
	b, err := relay.New(cb, relay.Config{BaseURL: srv.PublicBaseURL + storagePublicPath, Secret: urlKey, Logger: logger})
	if err != nil {
		return nil, err
	}
	m.routes.public = append(m.routes.public, route{storagePublicPath + "/", b.ServeHTTP})
	return b, nil
}

// cleanupPendingUploads is the storage clean-up job: it removes uploads
// never confirmed within pendingUploadAge (their URLs expired long ago).
type cleanupPendingUploads struct{}

func (cleanupPendingUploads) Kind() string { return "storage_cleanup_pending" }

const pendingUploadAge = 24 * time.Hour

// scheduleStorageCleanup makes cleanup (storage's Files.CleanupPending) an
// hourly job.
func scheduleStorageCleanup(client *jobs.Client, cleanup func(ctx context.Context, olderThan time.Duration) (int, error), logger *slog.Logger) error {
	err := registerJob(client, func(ctx context.Context, _ cleanupPendingUploads) error {
		n, err := cleanup(ctx, pendingUploadAge)
		if n > 0 {
			logger.InfoContext(ctx, "storage: removed pending uploads", slog.Int("count", n))
		}
		return err
	})
	if err != nil {
		return err
	}
	return client.Periodic("storage_cleanup_pending", "@hourly", cleanupPendingUploads{},
		&jobs.EnqueueOptions{MaxAttempts: 3, Timeout: 10 * time.Minute})
}
