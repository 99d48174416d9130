package local

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/omnistack/omnistack/storage"
	"github.com/omnistack/omnistack/storage/internal/driver"
)

// Config tunes a Bucket. The zero value is ready to use, without presigned
// URLs.
type Config struct {
	// BaseURL is the absolute URL where the Bucket's handler is mounted,
	// e.g. "https://api.example.com/api/v1/public/storage". Presigned URLs
	// point under it. Default: none, and PresignPut/PresignGet fail.
	BaseURL string
	// Secret signs URLs; at least 32 bytes. Every instance serving the same
	// directory needs the same secret. Default: random per Bucket.
	Secret []byte
	// NoSync skips the fsync of each new object before its rename: faster,
	// but a machine crash may lose recent writes. Default: false (sync).
	NoSync bool
	// Now reports the current time. Default: time.Now.
	Now func() time.Time
	// Logger receives refused signed requests at debug level. Default:
	// discard.
	Logger *slog.Logger
}

// Bucket is a [storage.Bucket] on a directory. It is safe for concurrent
// use, also by several processes sharing the directory.
type Bucket struct {
	root   *os.Root
	cfg    Config
	signed *driver.Signed // nil without BaseURL
}

var _ storage.Bucket = (*Bucket)(nil)

const (
	objectsDir = "objects"
	tmpDir     = "tmp"
	dirPerm    = 0o755
	filePerm   = 0o644
)

// New opens (creating it if needed) the directory dir as a Bucket. Close
// releases it.
func New(dir string, cfg Config) (*Bucket, error) {
	if dir == "" {
		return nil, errors.New("storage/local: New: empty directory")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	for _, d := range []string{objectsDir, tmpDir} {
		if err := os.MkdirAll(dir+string(os.PathSeparator)+d, dirPerm); err != nil {
			return nil, fmt.Errorf("storage/local: %w", err)
		}
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("storage/local: %w", err)
	}
	b := &Bucket{root: root, cfg: cfg}
	b.signed, err = driver.NewSigned(driver.SignedConfig{BaseURL: cfg.BaseURL, Secret: cfg.Secret, Now: cfg.Now,
		Logger: cfg.Logger, CheckKey: checkSegments}, backend{b})
	if err != nil {
		_ = root.Close()
		return nil, fmt.Errorf("storage/local: %w", err)
	}
	return b, nil
}

// Close releases the directory. It is safe to call more than once.
func (b *Bucket) Close() error {
	err := b.root.Close()
	if errors.Is(err, os.ErrClosed) {
		return nil
	}
	return err
}

func objectPath(key string) string { return objectsDir + "/" + key }

// maxSegment is the longest file name most file systems take.
const maxSegment = 255

// checkSegments refuses keys the file system cannot name.
func checkSegments(key string) error {
	for seg := range strings.SplitSeq(key, "/") {
		if len(seg) > maxSegment {
			return fmt.Errorf("%w: storage/local: a key segment is longer than %d bytes", storage.ErrInvalidKey, maxSegment)
		}
	}
	return nil
}

// header is the JSON head of an object file.
type header struct {
	ContentType string            `json:"ct"`
	Metadata    map[string]string `json:"meta,omitempty"`
}

// magic starts every object file; a 4-byte big-endian length of the JSON
// header follows.
const magic = "OSOBJ1\n"

// Put implements [storage.Bucket].
func (b *Bucket) Put(ctx context.Context, key string, r io.Reader, opts *storage.PutOptions) (storage.ObjectInfo, error) {
	ct, meta, err := driver.PutOptions(key, opts)
	if err != nil {
		return storage.ObjectInfo{}, err
	}
	if err := checkSegments(key); err != nil {
		return storage.ObjectInfo{}, err
	}
	if err := ctx.Err(); err != nil {
		return storage.ObjectInfo{}, err
	}
	tmp, f, err := b.createTemp()
	if err != nil {
		return storage.ObjectInfo{}, fmt.Errorf("storage/local: put %q: %w", key, err)
	}
	ok := false
	defer func() {
		if !ok {
			_ = f.Close()
			_ = b.root.Remove(tmp)
		}
	}()
	hdr, err := json.Marshal(header{ContentType: ct, Metadata: meta})
	if err != nil {
		return storage.ObjectInfo{}, err
	}
	w := writers.Get().(*bufio.Writer)
	w.Reset(f)
	defer func() { w.Reset(nil); writers.Put(w) }()
	_, _ = w.WriteString(magic)
	_ = binary.Write(w, binary.BigEndian, uint32(len(hdr)))
	_, _ = w.Write(hdr)
	n, err := io.Copy(w, driver.CtxReader{Ctx: ctx, R: r})
	if err == nil {
		err = w.Flush()
	}
	if err == nil && !b.cfg.NoSync {
		err = f.Sync()
	}
	var fi os.FileInfo // the rename keeps the modification time
	if err == nil {
		fi, err = f.Stat()
	}
	if err == nil {
		err = f.Close()
	}
	if err != nil {
		return storage.ObjectInfo{}, fmt.Errorf("storage/local: put %q: %w", key, err)
	}
	if opts != nil && opts.IfNotExist {
		// A hard link fails when the name exists: create-if-absent in one
		// step, also across processes sharing the directory.
		err = b.place(b.root.Link, tmp, objectPath(key))
		if errors.Is(err, fs.ErrExist) {
			return storage.ObjectInfo{}, fmt.Errorf("storage/local: put %q: %w", key, storage.ErrExists)
		}
		if err == nil {
			_ = b.root.Remove(tmp)
		}
	} else {
		err = b.place(b.root.Rename, tmp, objectPath(key))
	}
	if err != nil {
		return storage.ObjectInfo{}, fmt.Errorf("storage/local: put %q: %w", key, err)
	}
	ok = true
	return storage.ObjectInfo{Key: key, Size: n, ContentType: ct, Metadata: meta,
		ModTime: fi.ModTime().UTC(), ETag: etag(n, fi.ModTime())}, nil
}

// writers recycles the write buffers of Put.
var writers = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, 64<<10) }}

func (b *Bucket) createTemp() (string, *os.File, error) {
	var rnd [12]byte
	_, _ = rand.Read(rnd[:])
	name := tmpDir + "/" + hex.EncodeToString(rnd[:])
	f, err := b.root.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, filePerm)
	return name, f, err
}

// place moves tmp into place with move (Rename, or Link to create only),
// creating missing parents; a concurrent Delete may remove a parent just
// made, so that case is retried.
func (b *Bucket) place(move func(oldname, newname string) error, tmp, dst string) error {
	err := move(tmp, dst)
	for range 3 {
		if !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		if err := b.root.MkdirAll(path.Dir(dst), dirPerm); err != nil {
			return err
		}
		err = move(tmp, dst)
	}
	return err
}

func etag(size int64, mod time.Time) string {
	return strconv.FormatInt(size, 16) + "-" + strconv.FormatInt(mod.UnixNano(), 16)
}

// open opens the object file and reads its header; the file is positioned
// at the first byte of content.
func (b *Bucket) open(ctx context.Context, key string) (*os.File, storage.ObjectInfo, int64, error) {
	if err := storage.ValidateKey(key); err != nil {
		return nil, storage.ObjectInfo{}, 0, err
	}
	if err := ctx.Err(); err != nil {
		return nil, storage.ObjectInfo{}, 0, err
	}
	f, err := b.root.Open(objectPath(key))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) || isNotDir(err) {
			return nil, storage.ObjectInfo{}, 0, fmt.Errorf("%w: %q: %w", storage.ErrNotFound, key, err)
		}
		return nil, storage.ObjectInfo{}, 0, fmt.Errorf("storage/local: open %q: %w", key, err)
	}
	info, off, err := readHeader(f, key)
	if err != nil {
		_ = f.Close()
		return nil, storage.ObjectInfo{}, 0, err
	}
	return f, info, off, nil
}

// isNotDir: a parent on the path is a file, so the key cannot exist.
func isNotDir(err error) bool { return errors.Is(err, syscall.ENOTDIR) }

func readHeader(f *os.File, key string) (storage.ObjectInfo, int64, error) {
	fi, err := f.Stat()
	if err != nil {
		return storage.ObjectInfo{}, 0, fmt.Errorf("storage/local: stat %q: %w", key, err)
	}
	if fi.IsDir() {
		return storage.ObjectInfo{}, 0, fmt.Errorf("%w: %q is a prefix", storage.ErrNotFound, key)
	}
	// One read usually holds the whole header.
	const pre = len(magic) + 4
	buf := make([]byte, 512)
	got, err := f.ReadAt(buf, 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return storage.ObjectInfo{}, 0, fmt.Errorf("storage/local: %q: read header: %w", key, err)
	}
	buf = buf[:got]
	if got < pre || string(buf[:len(magic)]) != magic {
		return storage.ObjectInfo{}, 0, fmt.Errorf("storage/local: %q: not an object file", key)
	}
	n := int(binary.BigEndian.Uint32(buf[len(magic):pre]))
	if n > 1<<20 {
		return storage.ObjectInfo{}, 0, fmt.Errorf("storage/local: %q: header too large", key)
	}
	if pre+n > len(buf) {
		more := make([]byte, pre+n)
		if _, err := f.ReadAt(more, 0); err != nil {
			return storage.ObjectInfo{}, 0, fmt.Errorf("storage/local: %q: read header: %w", key, err)
		}
		buf = more
	}
	buf = buf[pre : pre+n]
	var h header
	if err := json.Unmarshal(buf, &h); err != nil {
		return storage.ObjectInfo{}, 0, fmt.Errorf("storage/local: %q: read header: %w", key, err)
	}
	off := int64(pre + n)
	size := fi.Size() - off
	return storage.ObjectInfo{Key: key, Size: size, ContentType: h.ContentType, Metadata: h.Metadata,
		ModTime: fi.ModTime().UTC(), ETag: etag(size, fi.ModTime())}, off, nil
}

// Get implements [storage.Bucket].
func (b *Bucket) Get(ctx context.Context, key string, opts *storage.GetOptions) (io.ReadCloser, storage.ObjectInfo, error) {
	f, info, off, err := b.open(ctx, key)
	if err != nil {
		return nil, storage.ObjectInfo{}, err
	}
	start, n, err := driver.Range(opts, info.Size)
	if err != nil {
		_ = f.Close()
		return nil, storage.ObjectInfo{}, err
	}
	return &fileReader{SectionReader: io.NewSectionReader(f, off+start, n), f: f}, info, nil
}

// fileReader reads a section of an object file and closes the file.
type fileReader struct {
	*io.SectionReader
	f *os.File
}

func (r *fileReader) Close() error { return r.f.Close() }

// Stat implements [storage.Bucket].
func (b *Bucket) Stat(ctx context.Context, key string) (storage.ObjectInfo, error) {
	f, info, _, err := b.open(ctx, key)
	if err != nil {
		return storage.ObjectInfo{}, err
	}
	_ = f.Close()
	return info, nil
}

// Delete implements [storage.Bucket]. Directories left empty are removed.
func (b *Bucket) Delete(ctx context.Context, key string) error {
	if err := storage.ValidateKey(key); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	p := objectPath(key)
	fi, err := b.root.Lstat(p)
	switch {
	case errors.Is(err, fs.ErrNotExist) || (err != nil && isNotDir(err)):
		return nil
	case err != nil:
		return fmt.Errorf("storage/local: delete %q: %w", key, err)
	case fi.IsDir():
		return nil // a prefix, not an object
	}
	if err := b.root.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("storage/local: delete %q: %w", key, err)
	}
	// Best effort: Remove fails on a non-empty directory, which stops it.
	for d := path.Dir(p); d != objectsDir && d != "."; d = path.Dir(d) {
		if b.root.Remove(d) != nil {
			break
		}
	}
	return nil
}

// List implements [storage.Bucket].
func (b *Bucket) List(ctx context.Context, opts *storage.ListOptions) (storage.ListPage, error) {
	if opts == nil {
		opts = &storage.ListOptions{}
	}
	limit := storage.ListLimit(opts.Limit)
	// Walk only the deepest directory the prefix pins down.
	start := objectsDir
	if i := strings.LastIndexByte(opts.Prefix, '/'); i > 0 {
		start = objectsDir + "/" + opts.Prefix[:i]
		if !fs.ValidPath(start) {
			return storage.ListPage{}, nil
		}
	}
	var keys []string
	fsys := b.root.FS()
	err := fs.WalkDir(fsys, start, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) || isNotDir(err) {
				return nil
			}
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		k := p[len(objectsDir)+1:]
		if strings.HasPrefix(k, opts.Prefix) && k > opts.Cursor && storage.ValidateKey(k) == nil {
			keys = append(keys, k)
		}
		return nil
	})
	if err != nil {
		return storage.ListPage{}, fmt.Errorf("storage/local: list %q: %w", opts.Prefix, err)
	}
	slices.Sort(keys)
	var page storage.ListPage
	if len(keys) > limit {
		keys = keys[:limit]
		page.NextCursor = keys[limit-1]
	}
	page.Objects = make([]storage.ObjectInfo, 0, len(keys))
	for _, k := range keys {
		info, err := b.Stat(ctx, k)
		if errors.Is(err, storage.ErrNotFound) {
			continue // deleted meanwhile
		}
		if err != nil {
			return storage.ListPage{}, err
		}
		info.Metadata = nil
		page.Objects = append(page.Objects, info)
	}
	return page, nil
}

// PresignPut implements [storage.Bucket]; the Bucket's handler serves the
// URL.
func (b *Bucket) PresignPut(ctx context.Context, key string, opts storage.PresignPutOptions) (storage.PresignedRequest, error) {
	return b.signed.PresignPut(ctx, key, opts)
}

// PresignGet implements [storage.Bucket].
func (b *Bucket) PresignGet(ctx context.Context, key string, opts storage.PresignGetOptions) (storage.PresignedRequest, error) {
	return b.signed.PresignGet(ctx, key, opts)
}

// ServeHTTP serves the Bucket's presigned URLs: mount it at the path of
// Config.BaseURL (full paths, no StripPrefix). Without a BaseURL it
// answers 404.
func (b *Bucket) ServeHTTP(w http.ResponseWriter, r *http.Request) { b.signed.ServeHTTP(w, r) }

type backend struct{ b *Bucket }

func (k backend) Put(ctx context.Context, key string, r io.Reader, opts *storage.PutOptions) (storage.ObjectInfo, error) {
	return k.b.Put(ctx, key, r, opts)
}

func (k backend) Open(ctx context.Context, key string) (io.ReadSeekCloser, storage.ObjectInfo, error) {
	f, info, off, err := k.b.open(ctx, key)
	if err != nil {
		return nil, storage.ObjectInfo{}, err
	}
	return &fileReader{SectionReader: io.NewSectionReader(f, off, info.Size), f: f}, info, nil
}
