package memory

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/omnistack/omnistack/storage"
)

// FileStoreConfig tunes a FileStore. It has no fields yet; the zero value
// is ready to use.
type FileStoreConfig struct{}

// FileStore is a [storage.FileStore] in memory. The zero value is not
// ready; use NewFileStore. It is safe for concurrent use.
type FileStore struct {
	mu    sync.RWMutex
	files map[string]storage.File
	usage map[string]storage.Usage // by owner, kept with files
}

var _ storage.FileStore = (*FileStore)(nil)

// NewFileStore returns an empty FileStore.
func NewFileStore(cfg FileStoreConfig) (*FileStore, error) {
	return &FileStore{files: map[string]storage.File{}, usage: map[string]storage.Usage{}}, nil
}

func notFound(id string) error { return fmt.Errorf("%w: file %q", storage.ErrNotFound, id) }

func clone(f storage.File) storage.File {
	if f.UploadedAt != nil {
		t := *f.UploadedAt
		f.UploadedAt = &t
	}
	return f
}

// Create implements [storage.FileStore]: the limit is checked and the
// record stored under one lock.
func (s *FileStore) Create(ctx context.Context, f storage.File, limit storage.PendingLimit) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.files[f.ID]; ok {
		return fmt.Errorf("storage/memory: create file %q: it exists", f.ID)
	}
	if err := limit.Check(s.usage[f.OwnerID], f); err != nil {
		return err
	}
	s.put(f)
	return nil
}

// put stores f and counts it in its owner's usage; remove undoes it. The
// caller holds the lock.
func (s *FileStore) put(f storage.File) {
	s.files[f.ID] = clone(f)
	s.count(f, 1)
}

func (s *FileStore) remove(f storage.File) {
	delete(s.files, f.ID)
	s.count(f, -1)
}

func (s *FileStore) count(f storage.File, sign int) {
	u := s.usage[f.OwnerID]
	switch f.Status {
	case storage.StatusPending:
		u.PendingUploads += sign
		u.PendingBytes += int64(sign) * f.Size
	case storage.StatusUploaded:
		u.Files += sign
		u.Bytes += int64(sign) * f.Size
	}
	if u == (storage.Usage{}) {
		delete(s.usage, f.OwnerID)
	} else {
		s.usage[f.OwnerID] = u
	}
}

// Usage implements [storage.FileStore].
func (s *FileStore) Usage(ctx context.Context, owner string) (storage.Usage, error) {
	if err := ctx.Err(); err != nil {
		return storage.Usage{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.usage[owner], nil
}

// Get implements [storage.FileStore].
func (s *FileStore) Get(ctx context.Context, owner, id string) (storage.File, error) {
	if err := ctx.Err(); err != nil {
		return storage.File{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	f, ok := s.files[id]
	if !ok || f.OwnerID != owner {
		return storage.File{}, notFound(id)
	}
	return clone(f), nil
}

// newestFirst orders by created_at, then ID, descending.
func newestFirst(a, b storage.File) int {
	if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
		return c
	}
	return cmp.Compare(b.ID, a.ID)
}

// List implements [storage.FileStore].
func (s *FileStore) List(ctx context.Context, owner string, q storage.FileQuery) ([]storage.File, int, error) {
	if err := ctx.Err(); err != nil {
		return nil, 0, err
	}
	s.mu.RLock()
	var all []storage.File
	for _, f := range s.files {
		if f.OwnerID == owner && (q.Status == "" || f.Status == q.Status) {
			all = append(all, clone(f))
		}
	}
	s.mu.RUnlock()
	slices.SortFunc(all, newestFirst)
	page := []storage.File{}
	if q.Offset < len(all) {
		page = all[q.Offset:min(len(all), q.Offset+q.Limit)]
	}
	return page, len(all), nil
}

// MarkUploaded implements [storage.FileStore].
func (s *FileStore) MarkUploaded(ctx context.Context, owner, id string, size int64, contentType string, at time.Time) (storage.File, error) {
	if err := ctx.Err(); err != nil {
		return storage.File{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	f, ok := s.files[id]
	if !ok || f.OwnerID != owner {
		return storage.File{}, notFound(id)
	}
	if f.Status == storage.StatusUploaded {
		return clone(f), nil
	}
	s.remove(f)
	at = at.UTC()
	f.Status, f.Size, f.ContentType, f.UpdatedAt, f.UploadedAt = storage.StatusUploaded, size, contentType, at, &at
	s.put(f)
	return clone(f), nil
}

// Delete implements [storage.FileStore].
func (s *FileStore) Delete(ctx context.Context, owner, id string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	f, ok := s.files[id]
	if !ok || f.OwnerID != owner {
		return notFound(id)
	}
	s.remove(f)
	return nil
}

// ListPending implements [storage.FileStore].
func (s *FileStore) ListPending(ctx context.Context, before time.Time, limit int) ([]storage.File, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	var out []storage.File
	for _, f := range s.files {
		if f.Status == storage.StatusPending && f.CreatedAt.Before(before) {
			out = append(out, clone(f))
		}
	}
	s.mu.RUnlock()
	slices.SortFunc(out, func(a, b storage.File) int { return -newestFirst(a, b) })
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// DeletePending implements [storage.FileStore].
func (s *FileStore) DeletePending(ctx context.Context, id string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	f, ok := s.files[id]
	if !ok || f.Status != storage.StatusPending {
		return notFound(id)
	}
	s.remove(f)
	return nil
}
