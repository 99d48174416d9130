package cloudinarytest

import (
	"bytes"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Config tunes a [Server]. The zero value is ready to use.
type Config struct {
	// SignatureAlgorithm is the account's: "sha1" or "sha256". Default:
	// "sha1".
	SignatureAlgorithm string
	// Now is the server's clock: upload timestamps, download expiry and
	// creation times. Default: time.Now.
	Now func() time.Time
}

// Server speaks the parts of Cloudinary's Upload and Admin APIs that
// storage/cloudinary uses, as documented: signed multipart uploads to
// /v1_1/<cloud>/raw/upload (public ID rules, overwrite and "existing",
// context, stale timestamps), destroy, the signed download endpoint
// (expires_at, attachment, ranges) and the Admin API's resource details
// and prefix listing with Basic auth, newest first and in pages. Its
// signature check is written from the documentation, independently of the
// SDK's. Its assets live in memory. It is safe for concurrent use.
type Server struct {
	cloud, key, secret, algo string
	now                      func() time.Time
	srv                      *httptest.Server

	mu     sync.Mutex
	assets map[string]*asset
	seq    int
	// ignoreRange makes downloads answer 200 with the whole object.
	ignoreRange atomic.Bool
}

type asset struct {
	data    []byte
	context map[string]string
	version int
	created time.Time
	seq     int
}

// Account of every Server: CLOUDINARY_URL's parts.
const (
	CloudName = "demo-cloud"
	APIKey    = "123456789012345"
	APISecret = "s3cr3t-&-more"
)

// NewServer starts a Server for the account [CloudName], [APIKey],
// [APISecret]. It stops when the test ends; with a nil t (in an Example)
// the caller calls [Server.Close].
func NewServer(t testing.TB, cfg Config) *Server {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	f := &Server{cloud: CloudName, key: APIKey, secret: APISecret, algo: cfg.SignatureAlgorithm, now: cfg.Now, assets: map[string]*asset{}}
	mux := http.NewServeMux()
	base := "/v1_1/" + f.cloud
	mux.HandleFunc("POST "+base+"/raw/upload", f.upload)
	mux.HandleFunc("POST "+base+"/raw/destroy", f.destroy)
	mux.HandleFunc("GET "+base+"/raw/download", f.download)
	mux.HandleFunc("GET "+base+"/resources/raw/private", f.list)
	mux.HandleFunc("GET "+base+"/resources/raw/private/{id...}", f.resource)
	f.srv = httptest.NewServer(mux)
	if t != nil {
		t.Cleanup(f.srv.Close)
	}
	return f
}

// Close shuts the server down.
func (f *Server) Close() { f.srv.Close() }

// APIURL is the server's base URL: storage/cloudinary's Config.APIURL
// (the reference server's CLOUDINARY_API_URL).
func (f *Server) APIURL() string { return f.srv.URL }

// CloudinaryURL is the account's connection string,
// cloudinary://key:secret@cloud, with ?signature_algorithm=sha256 when
// the server signs with SHA-256.
func (f *Server) CloudinaryURL() string {
	u := fmt.Sprintf("cloudinary://%s:%s@%s", f.key, url.QueryEscape(f.secret), f.cloud)
	if f.algo == "sha256" {
		u += "?signature_algorithm=sha256"
	}
	return u
}

// SetIgnoreRange makes downloads answer 200 with the whole object to a
// range request (true), as a CDN may, or honour ranges again.
func (f *Server) SetIgnoreRange(ignore bool) { f.ignoreRange.Store(ignore) }

// PutAsset stores data as the private raw asset publicID with no context,
// as another client of the account would.
func (f *Server) PutAsset(publicID string, data []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seq++
	f.assets[publicID] = &asset{data: slices.Clone(data), context: map[string]string{}, version: int(f.now().Unix()), created: f.now(), seq: f.seq}
}

// Asset returns the bytes of the asset publicID.
func (f *Server) Asset(publicID string) ([]byte, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	a, ok := f.assets[publicID]
	if !ok {
		return nil, false
	}
	return slices.Clone(a.data), true
}

// PublicIDs lists the stored assets' public IDs, sorted.
func (f *Server) PublicIDs() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Sorted(maps.Keys(f.assets))
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func fail(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]any{"error": map[string]string{"message": msg}})
}

// expectedSignature follows "Generating authentication signatures": all
// parameters but file, cloud_name, resource_type, api_key and signature,
// sorted, as k=v joined by '&' ('&' inside a value written %26), then the
// API secret appended, hashed, in hex.
func (f *Server) expectedSignature(params url.Values) string {
	var parts []string
	for k := range params {
		switch k {
		case "file", "cloud_name", "resource_type", "api_key", "signature":
			continue
		}
		parts = append(parts, k+"="+strings.ReplaceAll(params.Get(k), "&", "%26"))
	}
	slices.Sort(parts)
	h := sha1.New()
	if f.algo == "sha256" {
		h = sha256.New()
	}
	h.Write([]byte(strings.Join(parts, "&") + f.secret))
	return hex.EncodeToString(h.Sum(nil))
}

// checkSigned answers and returns false unless params carry this
// account's key and a valid signature.
func (f *Server) checkSigned(w http.ResponseWriter, params url.Values) bool {
	if params.Get("api_key") != f.key {
		fail(w, http.StatusUnauthorized, "Unknown API key")
		return false
	}
	want := f.expectedSignature(params)
	if subtle.ConstantTimeCompare([]byte(want), []byte(params.Get("signature"))) != 1 {
		fail(w, http.StatusUnauthorized, "Invalid Signature "+params.Get("signature"))
		return false
	}
	return true
}

// validPublicID applies Cloudinary's naming rules.
func validPublicID(id string) string {
	switch {
	case id == "" || len(id) > 255:
		return "public_id is too long"
	case strings.ContainsAny(id, `?&#\%<>+`):
		return "public_id contains forbidden characters"
	case strings.TrimSpace(id) != id || strings.HasPrefix(id, "/") || strings.HasSuffix(id, "/"):
		return "public_id has leading or trailing whitespace or slash"
	}
	segs := strings.Split(id, "/")
	for _, s := range segs[:len(segs)-1] {
		if len(s) > 1 && s[0] == 'v' && strings.Trim(s[1:], "0123456789") == "" {
			return "folder name cannot be v<digits>"
		}
	}
	return ""
}

// parseContext reads key=value|key=value with \= and \| escapes.
func parseContext(s string) map[string]string {
	out := map[string]string{}
	if s == "" {
		return out
	}
	var pairs []string
	var cur strings.Builder
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '\\' && i+1 < len(s) && (s[i+1] == '|' || s[i+1] == '='):
			cur.WriteByte('\\')
			cur.WriteByte(s[i+1])
			i++
		case s[i] == '|':
			pairs = append(pairs, cur.String())
			cur.Reset()
		default:
			cur.WriteByte(s[i])
		}
	}
	pairs = append(pairs, cur.String())
	unescape := strings.NewReplacer(`\=`, `=`, `\|`, `|`)
	for _, p := range pairs {
		for i := 0; i < len(p); i++ {
			if p[i] == '\\' {
				i++
				continue
			}
			if p[i] == '=' {
				out[unescape.Replace(p[:i])] = unescape.Replace(p[i+1:])
				break
			}
		}
	}
	return out
}

func (f *Server) assetJSON(id string, a *asset) map[string]any {
	sum := md5.Sum(a.data)
	return map[string]any{
		"public_id": id, "resource_type": "raw", "type": "private", "version": a.version,
		"bytes": len(a.data), "etag": hex.EncodeToString(sum[:]),
		"created_at": a.created.UTC().Format(time.RFC3339), "context": map[string]any{"custom": a.context},
	}
}

func (f *Server) upload(w http.ResponseWriter, r *http.Request) {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "multipart/form-data" {
		fail(w, http.StatusBadRequest, "Missing required parameter - file")
		return
	}
	if err := r.ParseMultipartForm(64 << 20); err != nil {
		fail(w, http.StatusBadRequest, "Invalid request: "+err.Error())
		return
	}
	defer func() { _ = r.MultipartForm.RemoveAll() }()
	params := url.Values(r.MultipartForm.Value)
	if !f.checkSigned(w, params) {
		return
	}
	ts, err := strconv.ParseInt(params.Get("timestamp"), 10, 64)
	if err != nil || f.now().Sub(time.Unix(ts, 0)) > time.Hour {
		fail(w, http.StatusBadRequest, "Stale request - reported time is "+params.Get("timestamp"))
		return
	}
	id := params.Get("public_id")
	if why := validPublicID(id); why != "" {
		fail(w, http.StatusBadRequest, why)
		return
	}
	if params.Get("type") != "private" {
		fail(w, http.StatusBadRequest, "this fake stores private assets only")
		return
	}
	files := r.MultipartForm.File["file"]
	if len(files) != 1 {
		fail(w, http.StatusBadRequest, "Missing required parameter - file")
		return
	}
	fh, err := files[0].Open()
	if err != nil {
		fail(w, http.StatusBadRequest, err.Error())
		return
	}
	data, err := io.ReadAll(fh)
	_ = fh.Close()
	if err != nil {
		fail(w, http.StatusBadRequest, err.Error())
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if old, ok := f.assets[id]; ok && params.Get("overwrite") == "false" {
		resp := f.assetJSON(id, old)
		resp["existing"] = true
		writeJSON(w, http.StatusOK, resp)
		return
	}
	f.seq++
	a := &asset{data: data, context: parseContext(params.Get("context")), version: int(f.now().Unix()), created: f.now(), seq: f.seq}
	f.assets[id] = a
	writeJSON(w, http.StatusOK, f.assetJSON(id, a))
}

func (f *Server) destroy(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		fail(w, http.StatusBadRequest, err.Error())
		return
	}
	params, err := url.ParseQuery(string(body))
	if err != nil {
		fail(w, http.StatusBadRequest, err.Error())
		return
	}
	if !f.checkSigned(w, params) {
		return
	}
	if params.Get("type") != "private" {
		writeJSON(w, http.StatusOK, map[string]string{"result": "not found"})
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	id := params.Get("public_id")
	if _, ok := f.assets[id]; !ok {
		writeJSON(w, http.StatusOK, map[string]string{"result": "not found"})
		return
	}
	delete(f.assets, id)
	writeJSON(w, http.StatusOK, map[string]string{"result": "ok"})
}

func (f *Server) download(w http.ResponseWriter, r *http.Request) {
	params := r.URL.Query()
	if !f.checkSigned(w, params) {
		return
	}
	exp, err := strconv.ParseInt(params.Get("expires_at"), 10, 64)
	if err != nil || !f.now().Before(time.Unix(exp, 0)) {
		fail(w, http.StatusUnauthorized, "Expired URL")
		return
	}
	f.mu.Lock()
	a, ok := f.assets[params.Get("public_id")]
	f.mu.Unlock()
	if !ok || params.Get("type") != "private" {
		fail(w, http.StatusNotFound, "Resource not found - "+params.Get("public_id"))
		return
	}
	if params.Get("attachment") == "true" {
		name := params.Get("target_filename")
		if name == "" {
			name = path.Base(params.Get("public_id"))
		}
		w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	if f.ignoreRange.Load() {
		r.Header.Del("Range")
	}
	http.ServeContent(w, r, "", a.created, bytes.NewReader(a.data))
}

func (f *Server) checkBasic(w http.ResponseWriter, r *http.Request) bool {
	user, pass, ok := r.BasicAuth()
	if !ok || user != f.key || pass != f.secret {
		fail(w, http.StatusUnauthorized, "Invalid credentials")
		return false
	}
	return true
}

func (f *Server) resource(w http.ResponseWriter, r *http.Request) {
	if !f.checkBasic(w, r) {
		return
	}
	id := r.PathValue("id")
	f.mu.Lock()
	defer f.mu.Unlock()
	a, ok := f.assets[id]
	if !ok {
		fail(w, http.StatusNotFound, "Resource not found - "+id)
		return
	}
	writeJSON(w, http.StatusOK, f.assetJSON(id, a))
}

// list answers newest first, as the Admin API does by default, so a
// provider that returns its order unsorted fails the key-order checks.
func (f *Server) list(w http.ResponseWriter, r *http.Request) {
	if !f.checkBasic(w, r) {
		return
	}
	q := r.URL.Query()
	max := 10
	if s := q.Get("max_results"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 500 {
			fail(w, http.StatusBadRequest, "max_results must be 1-500")
			return
		}
		max = n
	}
	start := 0
	if c := q.Get("next_cursor"); c != "" {
		n, err := strconv.Atoi(c)
		if err != nil {
			fail(w, http.StatusBadRequest, "bad next_cursor")
			return
		}
		start = n
	}
	f.mu.Lock()
	type item struct {
		id string
		a  *asset
	}
	var items []item
	for id, a := range f.assets {
		if strings.HasPrefix(id, q.Get("prefix")) {
			items = append(items, item{id, a})
		}
	}
	slices.SortFunc(items, func(x, y item) int { return y.a.seq - x.a.seq })
	var out []map[string]any
	for _, it := range items[min(start, len(items)):min(start+max, len(items))] {
		out = append(out, f.assetJSON(it.id, it.a))
	}
	f.mu.Unlock()
	resp := map[string]any{"resources": out}
	if start+max < len(items) {
		resp["next_cursor"] = strconv.Itoa(start + max)
	}
	writeJSON(w, http.StatusOK, resp)
}
