package cloudinary

import (
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cloudinary/cloudinary-go/v2/api"
	"github.com/cloudinary/cloudinary-go/v2/api/admin"
	"github.com/cloudinary/cloudinary-go/v2/api/uploader"
	"github.com/cloudinary/cloudinary-go/v2/config"

	"github.com/omnistack/omnistack/storage"
	"github.com/omnistack/omnistack/storage/internal/driver"
)

// ErrPresignPutUnsupported is returned by [Bucket.PresignPut]: Cloudinary
// takes uploads only as multipart/form-data POSTs of signed parameters,
// never as a raw-body PUT, and cannot bind an upload to a size or refuse it
// with 412. Use [Bucket.SignUpload] for direct browser uploads.
var ErrPresignPutUnsupported = errors.New("storage/cloudinary: presigned PUT uploads are not supported by Cloudinary; use SignUpload")

// MaxSignedUploadAge is how long Cloudinary accepts a signed upload after
// its timestamp ("Stale request" after that).
const MaxSignedUploadAge = time.Hour

// DefaultAPIURL is Cloudinary's API host.
const DefaultAPIURL = "https://api.cloudinary.com"

// Context keys this package writes besides the user metadata. User
// metadata keys are letters, digits and '-', so they never collide.
const ctxContentType = "content_type"

// Config tunes a Bucket. The zero value is ready to use.
type Config struct {
	// Folder is a public ID prefix every key is stored under, e.g.
	// "omnistack/uploads". Letters, digits, '-', '_' and '/' between
	// segments. Default: the cloud's root.
	Folder string
	// APIURL is the base of the Upload and Admin APIs (the SDK's
	// upload_prefix). Default: [DefaultAPIURL]; tests point it at a
	// server of their own.
	APIURL string
	// HTTPClient sends every request. Default: a client of its own.
	HTTPClient *http.Client
	// Now reports the current time: signature timestamps and URL expiry.
	// Default: time.Now.
	Now func() time.Time
}

// Bucket is a [storage.Bucket] on one Cloudinary product environment.
// Objects are private raw assets (resource_type raw, type private): stored
// byte for byte, delivered only through signed download URLs. It is safe
// for concurrent use.
type Bucket struct {
	creds    Credentials
	cfg      Config
	folder   string // "" or Folder + "/"
	admin    *admin.API
	uploader *uploader.API
	client   *http.Client
}

var _ storage.Bucket = (*Bucket)(nil)

// New returns a Bucket for the account in creds (see [ParseURL]). It does
// not contact Cloudinary.
func New(creds Credentials, cfg Config) (*Bucket, error) {
	if err := creds.validate(); err != nil {
		return nil, err
	}
	cfg.APIURL = strings.TrimRight(cmp.Or(cfg.APIURL, DefaultAPIURL), "/")
	if u, err := url.Parse(cfg.APIURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("storage/cloudinary: Config.APIURL must be an http(s) URL, got %q", cfg.APIURL)
	}
	folder := ""
	if cfg.Folder != "" {
		if !validFolder(cfg.Folder) {
			return nil, fmt.Errorf("storage/cloudinary: Config.Folder %q must be segments of letters, digits, '-' and '_' joined by '/', none of them v<digits>", cfg.Folder)
		}
		folder = cfg.Folder + "/"
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	client := cfg.HTTPClient
	if client == nil {
		client = &http.Client{}
	}
	// The configuration is built here rather than by config.NewFromURL,
	// whose shared decoder is not safe for concurrent use.
	conf := config.Configuration{
		Cloud: config.Cloud{
			CloudName: creds.CloudName, APIKey: creds.APIKey, APISecret: creds.APISecret,
			SignatureAlgorithm: creds.SignatureAlgorithm, SignatureVersion: 2,
		},
		API: config.API{UploadPrefix: cfg.APIURL, Timeout: 60, ChunkSize: 20_000_000},
	}
	adm, err := admin.NewWithConfiguration(&conf)
	if err != nil {
		return nil, fmt.Errorf("storage/cloudinary: admin API: %w", err)
	}
	up, err := uploader.NewWithConfiguration(&conf)
	if err != nil {
		return nil, fmt.Errorf("storage/cloudinary: upload API: %w", err)
	}
	adm.Client, up.Client = *client, *client
	return &Bucket{creds: creds, cfg: cfg, folder: folder, admin: adm, uploader: up, client: client}, nil
}

func validFolder(f string) bool {
	for seg := range strings.SplitSeq(f, "/") {
		if seg == "" || seg[0] == 'v' && len(seg) > 1 && strings.TrimLeft(seg[1:], "0123456789") == "" {
			return false
		}
		for i := 0; i < len(seg); i++ {
			if c := seg[i]; !isLetter(c) && !isDigit(c) && c != '-' && c != '_' {
				return false
			}
		}
	}
	return true
}

// endpoint is an Upload API URL of the raw resource type.
func (b *Bucket) endpoint(action string) string {
	return api.BaseURL(b.cfg.APIURL, "") + "/" + b.creds.CloudName + "/raw/" + action
}

// sign adds timestamp, signature and api_key to params with the SDK's
// signing function: the hex SHA-1 (or SHA-256) of the parameters sorted by
// name and joined as k=v&k=v, followed by the API secret.
func (b *Bucket) sign(params url.Values, at time.Time) error {
	params.Set("timestamp", strconv.FormatInt(at.Unix(), 10))
	sig, err := api.SignParametersUsingAlgoAndVersion(params, b.creds.APISecret, b.creds.SignatureAlgorithm, 2)
	if err != nil {
		return fmt.Errorf("storage/cloudinary: sign: %w", err)
	}
	params.Set("signature", sig)
	params.Set("api_key", b.creds.APIKey)
	return nil
}

// uploadParams are the signed parameters of an upload of key.
func (b *Bucket) uploadParams(id, ct string, meta map[string]string, overwrite bool, at time.Time) (url.Values, error) {
	parts := []string{ctxContentType + "=" + contextValue(ct)}
	for _, k := range slices.Sorted(maps.Keys(meta)) {
		parts = append(parts, k+"="+contextValue(meta[k]))
	}
	params := url.Values{
		"public_id": {id},
		"type":      {"private"},
		"overwrite": {strconv.FormatBool(overwrite)},
		"context":   {strings.Join(parts, "|")},
	}
	if err := b.sign(params, at); err != nil {
		return nil, err
	}
	return params, nil
}

// uploadResponse is the part of an Upload API answer this package reads.
type uploadResponse struct {
	PublicID  string    `json:"public_id"`
	Bytes     int64     `json:"bytes"`
	Etag      string    `json:"etag"`
	CreatedAt time.Time `json:"created_at"`
	Existing  bool      `json:"existing"`
	Error     struct {
		Message string `json:"message"`
	} `json:"error"`
}

// Put implements [storage.Bucket]. It streams r as one multipart upload to
// the raw upload endpoint; Cloudinary stores nothing unless the whole body
// arrives. IfNotExist sends overwrite=false and reports Cloudinary's
// "existing" answer as [storage.ErrExists].
func (b *Bucket) Put(ctx context.Context, key string, r io.Reader, opts *storage.PutOptions) (storage.ObjectInfo, error) {
	ct, meta, err := driver.PutOptions(key, opts)
	if err != nil {
		return storage.ObjectInfo{}, err
	}
	id, err := publicID(b.folder, key)
	if err != nil {
		return storage.ObjectInfo{}, err
	}
	if err := ctx.Err(); err != nil {
		return storage.ObjectInfo{}, fmt.Errorf("storage/cloudinary: put %q: %w", key, err)
	}
	ifNotExist := opts != nil && opts.IfNotExist
	params, err := b.uploadParams(id, ct, meta, !ifNotExist, b.cfg.Now())
	if err != nil {
		return storage.ObjectInfo{}, err
	}

	pr, pw := io.Pipe()
	form := multipart.NewWriter(pw)
	// The form is written while it is sent; src records a failure of the
	// caller's reader, which aborts the request so nothing is stored.
	src := &sourceReader{r: driver.CtxReader{Ctx: ctx, R: r}}
	var wg sync.WaitGroup
	wg.Go(func() {
		_ = pw.CloseWithError(writeForm(form, params, src))
	})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, b.endpoint("upload"), pr)
	if err != nil {
		_ = pr.CloseWithError(err)
		wg.Wait()
		return storage.ObjectInfo{}, fmt.Errorf("storage/cloudinary: put %q: %w", key, err)
	}
	req.Header.Set("Content-Type", form.FormDataContentType())
	var res uploadResponse
	status, err := b.do(req, &res)
	_ = pr.CloseWithError(errors.New("request finished"))
	wg.Wait()
	if src.err != nil {
		return storage.ObjectInfo{}, fmt.Errorf("storage/cloudinary: put %q: %w", key, src.err)
	}
	if err != nil {
		return storage.ObjectInfo{}, fmt.Errorf("storage/cloudinary: put %q: %w", key, err)
	}
	if status != http.StatusOK || res.Error.Message != "" {
		return storage.ObjectInfo{}, apiError("put", key, status, res.Error.Message)
	}
	if res.Existing {
		return storage.ObjectInfo{}, fmt.Errorf("%w: %q", storage.ErrExists, key)
	}
	if res.PublicID != id {
		return storage.ObjectInfo{}, fmt.Errorf("storage/cloudinary: put %q: stored as %q", key, res.PublicID)
	}
	return storage.ObjectInfo{
		Key: key, Size: res.Bytes, ContentType: ct, ETag: res.Etag,
		ModTime: res.CreatedAt, Metadata: meta,
	}, nil
}

// sourceReader keeps the first error other than io.EOF of r.
type sourceReader struct {
	r   io.Reader
	err error
}

func (s *sourceReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if err != nil && err != io.EOF && s.err == nil {
		s.err = err
	}
	return n, err
}

func writeForm(form *multipart.Writer, params url.Values, r io.Reader) error {
	for _, k := range slices.Sorted(maps.Keys(params)) {
		if err := form.WriteField(k, params.Get(k)); err != nil {
			return err
		}
	}
	part, err := form.CreateFormFile("file", "blob")
	if err != nil {
		return err
	}
	if _, err := io.Copy(part, r); err != nil {
		return err
	}
	return form.Close()
}

// do sends req and decodes a JSON answer into out, returning the status.
func (b *Bucket) do(req *http.Request, out any) (int, error) {
	resp, err := b.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return resp.StatusCode, err
	}
	if err := json.Unmarshal(body, out); err != nil {
		return resp.StatusCode, fmt.Errorf("status %d, undecodable answer: %w", resp.StatusCode, err)
	}
	return resp.StatusCode, nil
}

// apiError maps a Cloudinary error answer onto the storage sentinels.
func apiError(op, key string, status int, msg string) error {
	cause := fmt.Errorf("cloudinary answered %d: %s", status, msg)
	switch {
	case status == http.StatusNotFound || strings.HasPrefix(msg, "Resource not found"):
		return fmt.Errorf("%w: %q: %w", storage.ErrNotFound, key, cause)
	case strings.Contains(msg, "File size too large"):
		return fmt.Errorf("%w: %q: %w", storage.ErrTooLarge, key, cause)
	}
	return fmt.Errorf("storage/cloudinary: %s %q: %w", op, key, cause)
}

// Stat implements [storage.Bucket] with the Admin API's resource details.
func (b *Bucket) Stat(ctx context.Context, key string) (storage.ObjectInfo, error) {
	id, err := publicID(b.folder, key)
	if err != nil {
		return storage.ObjectInfo{}, err
	}
	if err := ctx.Err(); err != nil {
		return storage.ObjectInfo{}, fmt.Errorf("storage/cloudinary: stat %q: %w", key, err)
	}
	res, err := b.admin.Asset(ctx, admin.AssetParams{AssetType: api.File, DeliveryType: api.Private, PublicID: id})
	if err != nil {
		return storage.ObjectInfo{}, fmt.Errorf("storage/cloudinary: stat %q: %w", key, err)
	}
	if res.Error.Message != "" {
		return storage.ObjectInfo{}, apiError("stat", key, 0, res.Error.Message)
	}
	if res.PublicID != id {
		return storage.ObjectInfo{}, fmt.Errorf("storage/cloudinary: stat %q: answer names %q", key, res.PublicID)
	}
	info := storage.ObjectInfo{
		Key: key, Size: int64(res.Bytes), ETag: res.Etag, ModTime: res.CreatedAt,
		ContentType: storage.DefaultContentType,
	}
	for k, v := range res.Context.Custom {
		if k == ctxContentType {
			info.ContentType = v
			continue
		}
		if info.Metadata == nil {
			info.Metadata = map[string]string{}
		}
		info.Metadata[k] = v
	}
	return info, nil
}

// downloadURL is a signed link of the Upload API's download endpoint for
// a private raw asset.
func (b *Bucket) downloadURL(id string, expires time.Time, filename string) (string, error) {
	params := url.Values{
		"public_id":  {id},
		"type":       {"private"},
		"expires_at": {strconv.FormatInt(expires.Unix(), 10)},
	}
	if filename != "" {
		params.Set("attachment", "true")
		params.Set("target_filename", filename)
	}
	if err := b.sign(params, b.cfg.Now()); err != nil {
		return "", err
	}
	return b.endpoint("download") + "?" + params.Encode(), nil
}

// Get implements [storage.Bucket]: Stat, then the object through a
// short-lived signed download URL, asking for the range with a Range
// header (and skipping to it when the answer is the whole object).
func (b *Bucket) Get(ctx context.Context, key string, opts *storage.GetOptions) (io.ReadCloser, storage.ObjectInfo, error) {
	info, err := b.Stat(ctx, key)
	if err != nil {
		return nil, storage.ObjectInfo{}, err
	}
	offset, length, err := driver.Range(opts, info.Size)
	if err != nil {
		return nil, storage.ObjectInfo{}, err
	}
	id, _ := publicID(b.folder, key) // Stat validated key
	u, err := b.downloadURL(id, b.cfg.Now().Add(5*time.Minute), "")
	if err != nil {
		return nil, storage.ObjectInfo{}, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, storage.ObjectInfo{}, fmt.Errorf("storage/cloudinary: get %q: %w", key, err)
	}
	partial := length > 0 && (offset > 0 || length < info.Size)
	if partial {
		req.Header.Set("Range", fmt.Sprintf("bytes=%d-%d", offset, offset+length-1))
	}
	resp, err := b.client.Do(req)
	if err != nil {
		return nil, storage.ObjectInfo{}, fmt.Errorf("storage/cloudinary: get %q: %w", key, err)
	}
	switch {
	case resp.StatusCode == http.StatusPartialContent && partial:
	case resp.StatusCode == http.StatusOK:
		if _, err := io.CopyN(io.Discard, resp.Body, offset); err != nil {
			_ = resp.Body.Close()
			return nil, storage.ObjectInfo{}, fmt.Errorf("storage/cloudinary: get %q: skip to offset: %w", key, err)
		}
	default:
		var e struct {
			Error struct{ Message string } `json:"error"`
		}
		_ = json.NewDecoder(io.LimitReader(resp.Body, 1<<16)).Decode(&e)
		_ = resp.Body.Close()
		return nil, storage.ObjectInfo{}, apiError("get", key, resp.StatusCode, e.Error.Message)
	}
	return readCloser{io.LimitReader(resp.Body, length), resp.Body}, info, nil
}

type readCloser struct {
	io.Reader
	io.Closer
}

// Delete implements [storage.Bucket] with the Upload API's destroy,
// invalidating CDN copies.
func (b *Bucket) Delete(ctx context.Context, key string) error {
	id, err := publicID(b.folder, key)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("storage/cloudinary: delete %q: %w", key, err)
	}
	res, err := b.uploader.Destroy(ctx, uploader.DestroyParams{
		PublicID: id, Type: api.Private, ResourceType: api.File, Invalidate: api.Bool(true),
	})
	if err != nil {
		return fmt.Errorf("storage/cloudinary: delete %q: %w", key, err)
	}
	switch {
	case res.Error.Message != "":
		return apiError("delete", key, 0, res.Error.Message)
	case res.Result == "ok", res.Result == "not found":
		return nil
	}
	return fmt.Errorf("storage/cloudinary: delete %q: result %q", key, res.Result)
}

// listPageSize is the Admin API's largest page.
const listPageSize = 500

// List implements [storage.Bucket]. The Admin API lists by prefix but not
// in key order, so every call reads all objects under the prefix (500 per
// Admin API call), sorts them and returns the page after the cursor. Mind
// the Admin API's hourly rate limit on large folders. Public IDs that this
// package did not write are skipped.
func (b *Bucket) List(ctx context.Context, opts *storage.ListOptions) (storage.ListPage, error) {
	if opts == nil {
		opts = &storage.ListOptions{}
	}
	after := ""
	if opts.Cursor != "" {
		raw, err := base64.RawURLEncoding.DecodeString(opts.Cursor)
		if err != nil || storage.ValidateKey(string(raw)) != nil {
			return storage.ListPage{}, fmt.Errorf("storage/cloudinary: list: malformed cursor")
		}
		after = string(raw)
	}
	var all []storage.ObjectInfo
	next := ""
	for {
		if err := ctx.Err(); err != nil {
			return storage.ListPage{}, fmt.Errorf("storage/cloudinary: list: %w", err)
		}
		res, err := b.admin.Assets(ctx, admin.AssetsParams{
			AssetType: api.File, DeliveryType: api.Private,
			Prefix: b.folder + escapeKey(opts.Prefix), MaxResults: listPageSize, NextCursor: next,
		})
		if err != nil {
			return storage.ListPage{}, fmt.Errorf("storage/cloudinary: list: %w", err)
		}
		if res.Error.Message != "" {
			return storage.ListPage{}, fmt.Errorf("storage/cloudinary: list: cloudinary answered: %s", res.Error.Message)
		}
		for _, a := range res.Assets {
			key, err := keyOf(b.folder, a.PublicID)
			if err != nil || !strings.HasPrefix(key, opts.Prefix) || key <= after {
				continue
			}
			all = append(all, storage.ObjectInfo{Key: key, Size: int64(a.Bytes), ModTime: a.CreatedAt})
		}
		if res.NextCursor == "" {
			break
		}
		next = res.NextCursor
	}
	slices.SortFunc(all, func(x, y storage.ObjectInfo) int { return strings.Compare(x.Key, y.Key) })
	limit := storage.ListLimit(opts.Limit)
	page := storage.ListPage{Objects: all}
	if len(all) > limit {
		page.Objects = all[:limit]
		page.NextCursor = base64.RawURLEncoding.EncodeToString([]byte(all[limit-1].Key))
	}
	return page, nil
}

// PresignPut checks its arguments as every provider does, then returns
// [ErrPresignPutUnsupported]: see [Bucket.SignUpload].
func (b *Bucket) PresignPut(_ context.Context, key string, opts storage.PresignPutOptions) (storage.PresignedRequest, error) {
	if err := driver.PresignPut(key, &opts); err != nil {
		return storage.PresignedRequest{}, err
	}
	if _, err := publicID(b.folder, key); err != nil {
		return storage.PresignedRequest{}, err
	}
	return storage.PresignedRequest{}, fmt.Errorf("%w (key %q)", ErrPresignPutUnsupported, key)
}

// PresignGet implements [storage.Bucket] with a signed link to the Upload
// API's download endpoint, which checks expires_at itself. Filename asks
// for an attachment under that name (target_filename).
func (b *Bucket) PresignGet(_ context.Context, key string, opts storage.PresignGetOptions) (storage.PresignedRequest, error) {
	id, err := publicID(b.folder, key)
	if err != nil {
		return storage.PresignedRequest{}, err
	}
	d, err := driver.Expiry(opts.Expires)
	if err != nil {
		return storage.PresignedRequest{}, err
	}
	expires := b.cfg.Now().Add(d).UTC()
	u, err := b.downloadURL(id, expires, opts.Filename)
	if err != nil {
		return storage.PresignedRequest{}, err
	}
	return storage.PresignedRequest{Method: http.MethodGet, URL: u, ExpiresAt: expires}, nil
}

// SignUploadOptions binds a direct upload.
type SignUploadOptions struct {
	// ContentType is recorded with the object (in its signed context), so
	// Stat reports it. Required. Cloudinary does not check the bytes
	// against it.
	ContentType string
}

// SignedUpload is a direct browser upload: a multipart/form-data POST to
// URL with every Fields entry as a form field, unchanged, and the bytes as
// the form's "file" field, before ExpiresAt.
type SignedUpload struct {
	URL       string
	Fields    map[string]string
	ExpiresAt time.Time
}

// SignUpload returns the signed parameters of a direct upload of key from
// a browser or app, which never sees the API secret. The parameters are
// signed (public ID, private type, content type, overwrite=false), so the
// client cannot change where or what it stores; with overwrite=false,
// sending it again once the object exists stores nothing (Cloudinary
// answers with the existing asset), so bytes checked after the upload
// cannot be replaced through it. Cloudinary refuses it
// [MaxSignedUploadAge] after signing. Size is not bound: check it after
// the upload with Stat, as storage.Files does at confirm.
func (b *Bucket) SignUpload(key string, opts SignUploadOptions) (SignedUpload, error) {
	id, err := publicID(b.folder, key)
	if err != nil {
		return SignedUpload{}, err
	}
	if opts.ContentType == "" {
		return SignedUpload{}, fmt.Errorf("storage/cloudinary: sign upload %q: ContentType is required", key)
	}
	if _, _, err := mime.ParseMediaType(opts.ContentType); err != nil {
		return SignedUpload{}, fmt.Errorf("%w: content type %q: %w", storage.ErrUnsupportedType, opts.ContentType, err)
	}
	now := b.cfg.Now()
	params, err := b.uploadParams(id, opts.ContentType, nil, false, now)
	if err != nil {
		return SignedUpload{}, err
	}
	fields := make(map[string]string, len(params))
	for k := range params {
		fields[k] = params.Get(k)
	}
	return SignedUpload{
		URL: b.endpoint("upload"), Fields: fields,
		ExpiresAt: time.Unix(now.Unix(), 0).Add(MaxSignedUploadAge).UTC(),
	}, nil
}
