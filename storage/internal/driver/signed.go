package driver

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/omnistack/omnistack/httpx"
	"github.com/omnistack/omnistack/storage"
)

// MinSecretLen is the shortest accepted signing secret.
const MinSecretLen = 32

// Query parameters of a signed URL.
const (
	qMethod      = "m"
	qExpires     = "exp"
	qContentType = "ct"
	qSize        = "size"
	qFilename    = "fn"
	qSignature   = "sig"
)

// Signer makes and checks HMAC-SHA256 signed URLs under a base URL. The
// signature covers the method, the key, the expiry and, for uploads, the
// content type and exact size, so none of them can be changed.
type Signer struct {
	secret   []byte
	base     string // absolute base URL, no trailing slash
	basePath string // its path, no trailing slash
	now      func() time.Time
}

// NewSigner checks its inputs. An empty secret is replaced by a random one
// (URLs then die with the process).
func NewSigner(secret []byte, baseURL string, now func() time.Time) (*Signer, error) {
	if len(secret) == 0 {
		secret = make([]byte, MinSecretLen)
		_, _ = rand.Read(secret)
	} else if len(secret) < MinSecretLen {
		return nil, fmt.Errorf("Config.Secret must be at least %d bytes, got %d", MinSecretLen, len(secret))
	}
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("Config.BaseURL must be an absolute http(s) URL without query, got %q", baseURL)
	}
	if now == nil {
		now = time.Now
	}
	base := strings.TrimRight(baseURL, "/")
	return &Signer{
		secret:   append([]byte(nil), secret...),
		base:     base,
		basePath: strings.TrimRight(u.Path, "/"),
		now:      now,
	}, nil
}

// Now reports the signer's current time.
func (s *Signer) Now() time.Time { return s.now() }

type claims struct {
	method, key, contentType, filename string
	expires, size                      int64
}

func (s *Signer) mac(c claims) []byte {
	m := hmac.New(sha256.New, s.secret)
	// Length-prefixed fields: no two claim sets share a message.
	msg := make([]byte, 0, 128+len(c.key)+len(c.contentType)+len(c.filename))
	for _, f := range []string{"omnistack-storage-v1", c.method, c.key, strconv.FormatInt(c.expires, 10),
		c.contentType, strconv.FormatInt(c.size, 10), c.filename} {
		msg = strconv.AppendInt(msg, int64(len(f)), 10)
		msg = append(msg, ':')
		msg = append(msg, f...)
		msg = append(msg, '\n')
	}
	_, _ = m.Write(msg)
	return m.Sum(nil)
}

func (s *Signer) sign(c claims) string {
	var b strings.Builder
	b.WriteString(s.base)
	for seg := range strings.SplitSeq(c.key, "/") {
		b.WriteByte('/')
		b.WriteString(url.PathEscape(seg))
	}
	q := url.Values{}
	q.Set(qMethod, c.method)
	q.Set(qExpires, strconv.FormatInt(c.expires, 10))
	if c.method == http.MethodPut {
		q.Set(qContentType, c.contentType)
		q.Set(qSize, strconv.FormatInt(c.size, 10))
	}
	if c.filename != "" {
		q.Set(qFilename, c.filename)
	}
	q.Set(qSignature, base64.RawURLEncoding.EncodeToString(s.mac(c)))
	b.WriteByte('?')
	b.WriteString(q.Encode())
	return b.String()
}

// PresignPut signs an upload; opts must have passed [PresignPut].
func (s *Signer) PresignPut(key string, opts storage.PresignPutOptions) storage.PresignedRequest {
	exp := s.now().Add(opts.Expires).Truncate(time.Second)
	c := claims{method: http.MethodPut, key: key, contentType: opts.ContentType, size: opts.Size, expires: exp.Unix()}
	return storage.PresignedRequest{
		Method: http.MethodPut,
		URL:    s.sign(c),
		// If-None-Match says what the handler enforces whether it is sent
		// or not (an upload creates the object once), as S3's signed
		// header does.
		Headers: map[string]string{"Content-Type": opts.ContentType, "Content-Length": strconv.FormatInt(opts.Size, 10),
			"If-None-Match": "*"},
		ExpiresAt: exp.UTC(),
	}
}

// PresignGet signs a download.
func (s *Signer) PresignGet(key string, opts storage.PresignGetOptions) (storage.PresignedRequest, error) {
	if err := storage.ValidateKey(key); err != nil {
		return storage.PresignedRequest{}, err
	}
	d, err := Expiry(opts.Expires)
	if err != nil {
		return storage.PresignedRequest{}, err
	}
	exp := s.now().Add(d).Truncate(time.Second)
	c := claims{method: http.MethodGet, key: key, filename: opts.Filename, expires: exp.Unix()}
	return storage.PresignedRequest{Method: http.MethodGet, URL: s.sign(c), Headers: map[string]string{}, ExpiresAt: exp.UTC()}, nil
}

// errShortBody: an upload ended before the signed size.
var errShortBody = errors.New("storage: body shorter than the signed size")

// verify checks a signed request: path under the base, signature, method,
// expiry, and for uploads the content type and declared length. It
// returns the claims of a valid request.
func (s *Signer) verify(r *http.Request) (claims, error) {
	var c claims
	rest, ok := strings.CutPrefix(r.URL.Path, s.basePath+"/")
	if !ok {
		return c, ErrNoKey
	}
	q := r.URL.Query()
	c.key = rest
	c.method = q.Get(qMethod)
	c.contentType = q.Get(qContentType)
	c.filename = q.Get(qFilename)
	var err1, err2 error
	c.expires, err1 = strconv.ParseInt(q.Get(qExpires), 10, 64)
	if c.method == http.MethodPut {
		c.size, err2 = strconv.ParseInt(q.Get(qSize), 10, 64)
	}
	// Strict: the unused bits of the last character must be zero, so a
	// signature has one spelling only.
	sig, err3 := base64.RawURLEncoding.Strict().DecodeString(q.Get(qSignature))
	if err1 != nil || err2 != nil || err3 != nil || !hmac.Equal(sig, s.mac(c)) {
		return c, storage.ErrInvalidSignature
	}
	method := r.Method
	if method == http.MethodHead {
		method = http.MethodGet
	}
	if method != c.method {
		return c, fmt.Errorf("%w: signed for %s, not %s", storage.ErrInvalidSignature, c.method, r.Method)
	}
	if !s.now().Before(time.Unix(c.expires, 0)) {
		return c, storage.ErrExpired
	}
	if err := storage.ValidateKey(c.key); err != nil {
		return c, err
	}
	if c.method == http.MethodPut {
		if r.Header.Get("Content-Type") != c.contentType {
			return c, fmt.Errorf("%w: Content-Type must be %q", storage.ErrUnsupportedType, c.contentType)
		}
		switch {
		case r.ContentLength > c.size:
			return c, storage.ErrTooLarge
		case r.ContentLength >= 0 && r.ContentLength < c.size:
			return c, errShortBody
		}
	}
	return c, nil
}

// ErrNoKey reports a request path that is not under the signer's base path.
var ErrNoKey = errors.New("storage: no object key in path")

// Uploader stores the body of a signed upload.
type Uploader interface {
	Put(ctx context.Context, key string, r io.Reader, opts *storage.PutOptions) (storage.ObjectInfo, error)
}

// Backend is what the signed-URL handler reads and writes.
type Backend interface {
	Uploader
	// Open returns the whole object as a seekable reader.
	Open(ctx context.Context, key string) (io.ReadSeekCloser, storage.ObjectInfo, error)
}

// Handler serves the signed URLs of s on b: PUT uploads, which create the
// object only while there is none (412 once it exists), GET and HEAD
// downloads (with ranges and conditional requests).
func (s *Signer) Handler(b Backend, logger *slog.Logger) http.Handler {
	return s.handler(b, b.Open, logger)
}

// UploadHandler serves the signed upload URLs of s on u, as [Signer.Handler]
// does, and no downloads: a GET or HEAD answers 403 whatever its
// signature (this signer's downloads are served elsewhere).
func (s *Signer) UploadHandler(u Uploader, logger *slog.Logger) http.Handler {
	return s.handler(u, nil, logger)
}

// handler serves uploads into u and, when open is not nil, downloads.
func (s *Signer) handler(u Uploader, open func(context.Context, string) (io.ReadSeekCloser, storage.ObjectInfo, error), logger *slog.Logger) http.Handler {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	allow := []string{http.MethodGet, http.MethodHead, http.MethodPut}
	if open == nil {
		allow = []string{http.MethodPut}
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet, http.MethodHead, http.MethodPut:
		default:
			httpx.WriteError(w, r, httpx.MethodNotAllowed(allow...))
			return
		}
		c, err := s.verify(r)
		if err == nil && c.method != http.MethodPut && open == nil {
			err = fmt.Errorf("%w: no downloads here", storage.ErrInvalidSignature)
		}
		if err != nil {
			httpx.WriteError(w, r, httpError(err, c.size))
			return
		}
		if c.method == http.MethodPut {
			// A server's ReadTimeout and WriteTimeout suit API calls, not
			// large uploads on slow links: give this body, and the answer
			// that follows it, time in proportion to its size.
			rc := http.NewResponseController(w)
			deadline := time.Now().Add(transferTime(c.size))
			_ = rc.SetReadDeadline(deadline)
			_ = rc.SetWriteDeadline(deadline.Add(time.Minute))
			body := &exactReader{r: r.Body, left: c.size}
			info, err := u.Put(r.Context(), c.key, body, &storage.PutOptions{ContentType: c.contentType, IfNotExist: true})
			if err != nil {
				logger.DebugContext(r.Context(), "signed upload refused", slog.String("key", c.key), slog.String("error", err.Error()))
				httpx.WriteError(w, r, httpError(err, c.size))
				return
			}
			if info.ETag != "" {
				w.Header().Set("ETag", strconv.Quote(info.ETag))
			}
			w.WriteHeader(http.StatusOK)
			return
		}
		rs, info, err := open(r.Context(), c.key)
		if err != nil {
			httpx.WriteError(w, r, httpError(err, 0))
			return
		}
		defer func() { _ = rs.Close() }()
		_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(transferTime(info.Size)))
		h := w.Header()
		h.Set("Content-Type", info.ContentType)
		h.Set("Cache-Control", "private, max-age="+strconv.FormatInt(max(0, c.expires-s.now().Unix()), 10))
		if info.ETag != "" {
			h.Set("ETag", strconv.Quote(info.ETag))
		}
		if cd := ContentDisposition(c.filename); cd != "" {
			h.Set("Content-Disposition", cd)
		}
		http.ServeContent(w, r, "", info.ModTime, rs)
	})
}

// transferTime is how long a transfer of size bytes may take: a minute,
// plus the time to move it at 64 KiB/s, a slow mobile link.
func transferTime(size int64) time.Duration {
	const slowLink = 64 << 10 // bytes per second
	return time.Minute + time.Duration(max(size, 0)/slowLink)*time.Second
}

func httpError(err error, size int64) error {
	switch {
	case errors.Is(err, storage.ErrExpired):
		return httpx.Forbidden("the signed URL has expired")
	case errors.Is(err, storage.ErrInvalidSignature), errors.Is(err, storage.ErrInvalidKey), errors.Is(err, ErrNoKey):
		return httpx.Forbidden("the signature is not valid for this request")
	case errors.Is(err, storage.ErrTooLarge):
		return httpx.PayloadTooLarge("the body is larger than the signed size", size)
	case errors.Is(err, errShortBody):
		return httpx.BadRequest(fmt.Sprintf("the body must be exactly %d bytes", size))
	case errors.Is(err, storage.ErrUnsupportedType):
		return httpx.UnsupportedMediaType("the Content-Type must be the one signed")
	case errors.Is(err, storage.ErrNotFound):
		return httpx.NotFound("object not found")
	case errors.Is(err, storage.ErrExists):
		return httpx.PreconditionFailed("an object was already uploaded with this URL; ask for a new one")
	}
	if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
		return httpx.PayloadTooLarge("the body is too large", size)
	}
	return err
}

// exactReader yields exactly left bytes of r: more is ErrTooLarge, fewer
// errShortBody, so a provider's atomic Put keeps nothing.
type exactReader struct {
	r    io.Reader
	left int64
}

func (e *exactReader) Read(p []byte) (int, error) {
	if e.left <= 0 {
		// Probe for one more byte: any is too much.
		var one [1]byte
		n, err := io.ReadFull(e.r, one[:])
		if n > 0 {
			return 0, storage.ErrTooLarge
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return 0, io.EOF
		}
		return 0, err
	}
	if int64(len(p)) > e.left {
		p = p[:e.left]
	}
	n, err := e.r.Read(p)
	e.left -= int64(n)
	if err == io.EOF && e.left > 0 {
		return n, errShortBody
	}
	if err == io.EOF {
		err = nil // the probe above reports the end
	}
	return n, err
}

// Signed gives a provider without signing of its own presigned URLs served
// by its own handler. A nil *Signed (no base URL configured) refuses to
// presign and answers 404.
type Signed struct {
	signer   *Signer
	handler  http.Handler
	checkKey func(string) error
}

// SignedConfig configures [NewSigned].
type SignedConfig struct {
	BaseURL string
	Secret  []byte
	Now     func() time.Time
	Logger  *slog.Logger
	// CheckKey adds a provider's own key rules to PresignPut (optional).
	CheckKey func(string) error
}

// NewSigned returns nil without a base URL.
func NewSigned(cfg SignedConfig, b Backend) (*Signed, error) {
	if cfg.BaseURL == "" {
		return nil, nil
	}
	s, err := NewSigner(cfg.Secret, cfg.BaseURL, cfg.Now)
	if err != nil {
		return nil, err
	}
	return &Signed{signer: s, handler: s.Handler(b, cfg.Logger), checkKey: cfg.CheckKey}, nil
}

var errNoBaseURL = errors.New("storage: presigned URLs need Config.BaseURL")

// PresignPut implements [storage.Bucket.PresignPut].
func (s *Signed) PresignPut(_ context.Context, key string, opts storage.PresignPutOptions) (storage.PresignedRequest, error) {
	if s == nil {
		return storage.PresignedRequest{}, errNoBaseURL
	}
	if err := PresignPut(key, &opts); err != nil {
		return storage.PresignedRequest{}, err
	}
	if s.checkKey != nil {
		if err := s.checkKey(key); err != nil {
			return storage.PresignedRequest{}, err
		}
	}
	return s.signer.PresignPut(key, opts), nil
}

// PresignGet implements [storage.Bucket.PresignGet].
func (s *Signed) PresignGet(_ context.Context, key string, opts storage.PresignGetOptions) (storage.PresignedRequest, error) {
	if s == nil {
		return storage.PresignedRequest{}, errNoBaseURL
	}
	return s.signer.PresignGet(key, opts)
}

// ServeHTTP serves the signed URLs.
func (s *Signed) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s == nil {
		http.NotFound(w, r)
		return
	}
	s.handler.ServeHTTP(w, r)
}

// CtxReader stops reading when Ctx ends.
type CtxReader struct {
	Ctx context.Context
	R   io.Reader
}

func (c CtxReader) Read(p []byte) (int, error) {
	if err := c.Ctx.Err(); err != nil {
		return 0, err
	}
	return c.R.Read(p)
}
