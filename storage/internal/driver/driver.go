package driver

import (
	"fmt"
	"mime"
	"strings"
	"time"

	"github.com/omnistack/omnistack/storage"
)

// PutOptions returns the content type and the normalised metadata of opts.
func PutOptions(key string, opts *storage.PutOptions) (contentType string, meta map[string]string, err error) {
	if err := storage.ValidateKey(key); err != nil {
		return "", nil, err
	}
	contentType = storage.DefaultContentType
	if opts == nil {
		return contentType, nil, nil
	}
	if opts.ContentType != "" {
		if _, _, err := mime.ParseMediaType(opts.ContentType); err != nil {
			return "", nil, fmt.Errorf("%w: content type %q: %w", storage.ErrUnsupportedType, opts.ContentType, err)
		}
		contentType = opts.ContentType
	}
	if len(opts.Metadata) > 0 {
		meta = make(map[string]string, len(opts.Metadata))
		for k, v := range opts.Metadata {
			if !validMetaKey(k) {
				return "", nil, fmt.Errorf("storage: put %q: metadata key %q must be ASCII letters, digits and '-'", key, k)
			}
			meta[strings.ToLower(k)] = v
		}
	}
	return contentType, meta, nil
}

func validMetaKey(k string) bool {
	if k == "" || len(k) > 128 {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// Range checks opts against an object of size bytes and returns the
// offset and length to read.
func Range(opts *storage.GetOptions, size int64) (offset, length int64, err error) {
	if opts == nil {
		return 0, size, nil
	}
	if opts.Offset < 0 || (opts.Offset > 0 && opts.Offset >= size) {
		return 0, 0, fmt.Errorf("%w: offset %d of %d bytes", storage.ErrInvalidRange, opts.Offset, size)
	}
	length = size - opts.Offset
	if opts.Length > 0 && opts.Length < length {
		length = opts.Length
	}
	return opts.Offset, length, nil
}

// Expiry checks a presign lifetime and fills its default.
func Expiry(d time.Duration) (time.Duration, error) {
	switch {
	case d == 0:
		return storage.DefaultPresignExpiry, nil
	case d < time.Second || d > storage.MaxPresignExpiry:
		return 0, fmt.Errorf("storage: presign expiry must be between 1s and %s, got %s", storage.MaxPresignExpiry, d)
	}
	return d, nil
}

// PresignPut checks the options of a presigned upload.
func PresignPut(key string, opts *storage.PresignPutOptions) error {
	if err := storage.ValidateKey(key); err != nil {
		return err
	}
	if opts.Size <= 0 {
		return fmt.Errorf("storage: presign put %q: Size must be positive, got %d", key, opts.Size)
	}
	if opts.ContentType == "" {
		return fmt.Errorf("storage: presign put %q: ContentType is required", key)
	}
	if _, _, err := mime.ParseMediaType(opts.ContentType); err != nil {
		return fmt.Errorf("%w: content type %q: %w", storage.ErrUnsupportedType, opts.ContentType, err)
	}
	d, err := Expiry(opts.Expires)
	opts.Expires = d
	return err
}

// ContentDisposition is the attachment header for a download name, or "".
func ContentDisposition(filename string) string {
	if filename == "" {
		return ""
	}
	return mime.FormatMediaType("attachment", map[string]string{"filename": filename})
}
