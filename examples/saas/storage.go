package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/omnistack/omnistack/storage"
	"github.com/omnistack/omnistack/storage/local"
	"github.com/omnistack/omnistack/storage/memory"
	"github.com/omnistack/omnistack/storage/postgres"
	"github.com/omnistack/omnistack/storage/s3"
)

// storagePublicPath is where the local provider's signed URLs are served.
const storagePublicPath = "/api/v1/public/storage"

// setupStorage wires the bucket of STORAGE_PROVIDER (local by default,
// serving its signed URLs under PUBLIC_BASE_URL + /api/v1/public/storage),
// the file records (PostgreSQL with DATABASE_URL, migrated unless
// AUTO_MIGRATE=false; memory otherwise) and the files API on
// /api/v1/app/files, and schedules the clean-up of pending uploads as a
// job.
func (a *app) setupStorage(ctx context.Context) error {
	bucket, err := a.storageBucket(ctx)
	if err != nil {
		return err
	}
	var store storage.FileStore
	if a.pool != nil {
		if a.cfg.AutoMigrate {
			if err := postgres.Migrate(ctx, a.pool); err != nil {
				return err
			}
		}
		if store, err = postgres.NewFileStore(a.pool); err != nil {
			return err
		}
	} else {
		store = memory.NewFileStore()
	}
	allowed := a.cfg.StorageAllowedTypes
	if len(allowed) == 0 {
		allowed = storage.DefaultAllowedTypes
	}
	files, err := storage.NewFiles(bucket, store, storage.FilesConfig{
		MaxUploadBytes: a.cfg.StorageMaxUploadBytes,
		AllowedTypes:   allowed,
		Logger:         a.logger,
	})
	if err != nil {
		return fmt.Errorf("STORAGE_ALLOWED_TYPES / STORAGE_MAX_UPLOAD_BYTES: %w", err)
	}
	h, err := storage.NewHandler(files, storage.HandlerConfig{
		// Read a.userID per request: auth may set it after this setup ran.
		Owner: func(r *http.Request) (string, error) { return a.userID(r) },
	})
	if err != nil {
		return err
	}
	// Uploads never confirmed are removed by an hourly job.
	if err := a.scheduleStorageCleanup(files.CleanupPending); err != nil {
		return err
	}
	a.app.HandleFunc("POST /api/v1/app/files/upload-url", h.CreateUploadURL)
	a.app.HandleFunc("POST /api/v1/app/files/confirm", h.Confirm)
	a.app.HandleFunc("GET /api/v1/app/files", h.List)
	a.app.HandleFunc("GET /api/v1/app/files/{id}", h.Get)
	a.app.HandleFunc("GET /api/v1/app/files/{id}/download-url", h.DownloadURL)
	a.app.HandleFunc("DELETE /api/v1/app/files/{id}", h.Delete)
	return nil
}

// storageBucket opens the bucket of STORAGE_PROVIDER.
func (a *app) storageBucket(ctx context.Context) (storage.Bucket, error) {
	c := a.cfg
	switch c.StorageProvider {
	case "s3":
		if c.AWSS3Bucket == "" {
			return nil, errors.New("AWS_S3_BUCKET is required with STORAGE_PROVIDER=s3")
		}
		client, err := s3.NewClient(ctx, s3.ClientConfig{
			Region: c.AWSRegion, Endpoint: c.AWSEndpointURLS3, UsePathStyle: c.S3ForcePathStyle,
		})
		if err != nil {
			return nil, err
		}
		return s3.New(client, c.AWSS3Bucket, s3.Config{Logger: a.logger})
	case "r2":
		for name, v := range map[string]string{"R2_ACCOUNT_ID": c.R2AccountID, "R2_ACCESS_KEY_ID": c.R2AccessKeyID,
			"R2_SECRET_ACCESS_KEY": c.R2SecretAccessKey, "R2_BUCKET": c.R2Bucket} {
			if v == "" {
				return nil, fmt.Errorf("%s is required with STORAGE_PROVIDER=r2", name)
			}
		}
		client, err := s3.NewClient(ctx, s3.R2(c.R2AccountID, c.R2AccessKeyID, c.R2SecretAccessKey))
		if err != nil {
			return nil, err
		}
		return s3.New(client, c.R2Bucket, s3.Config{Logger: a.logger})
	}
	b, err := local.New(c.StorageLocalDir, local.Config{
		BaseURL: c.PublicBaseURL + storagePublicPath,
		Secret:  a.signingKey("local storage URL key"),
		Logger:  a.logger,
	})
	if err != nil {
		return nil, fmt.Errorf("STORAGE_LOCAL_DIR: %w", err)
	}
	a.closers = append(a.closers, func() { _ = b.Close() })
	a.public.Handle(storagePublicPath+"/", b)
	return b, nil
}
