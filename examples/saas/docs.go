package main

import (
	"embed"
	"fmt"
	"io/fs"
	"net/http"
	"path"

	"github.com/omnistack/omnistack/httpx"
)

// The API reference page at GET /docs: a small HTML page whose script
// fetches /api/v1/openapi.json and renders every operation, its
// parameters, bodies and answers. Its assets are embedded in the binary
// and served beside it, so the page works offline and behind a strict
// Content-Security-Policy: no CDN, no inline script or style.

//go:embed docs/index.html docs/assets
var docsFS embed.FS

// docsCSP lets the page load its own script and style sheet and fetch the
// document; everything else stays refused as on every other route.
const docsCSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; " +
	"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// docsModule serves the OpenAPI document and the page over it.
type docsModule struct {
	routes routes
}

// newDocs serves the document of the routes of all (marking planned the
// contract routes none of them serves) at GET /api/v1/openapi.json, and
// the page at GET /docs with its assets under /docs/assets/.
func newDocs(all ...routes) (*docsModule, error) {
	own := []route{
		{"GET " + openAPIPath, nil},
		{"GET /docs", nil},
		{"GET /docs/assets/{name}", nil},
	}
	served := servedPatterns(append(all, routes{root: own})...)
	spec, err := openAPIJSON(served)
	if err != nil {
		return nil, err
	}
	page, err := docsFS.ReadFile("docs/index.html")
	if err != nil {
		return nil, fmt.Errorf("docs: %w", err)
	}
	assets, err := fs.Sub(docsFS, "docs/assets")
	if err != nil {
		return nil, fmt.Errorf("docs: %w", err)
	}
	own[0].handler = serveBytes("application/json; charset=utf-8", spec)
	own[1].handler = withCSP(serveBytes("text/html; charset=utf-8", page))
	own[2].handler = withCSP(serveAsset(assets))
	return &docsModule{routes: routes{root: own}}, nil
}

// servedPatterns lists the pattern of every route of all.
func servedPatterns(all ...routes) []string {
	var out []string
	for _, rs := range all {
		for _, group := range [][]route{rs.root, rs.public, rs.app, rs.admin} {
			for _, r := range group {
				out = append(out, r.pattern)
			}
		}
	}
	return out
}

// withCSP replaces the server's default policy with the page's.
func withCSP(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", docsCSP)
		h(w, r)
	}
}

// assetType is the content type of the page's assets by extension.
func assetType(ext string) (string, bool) {
	switch ext {
	case ".js":
		return "text/javascript; charset=utf-8", true
	case ".css":
		return "text/css; charset=utf-8", true
	}
	return "", false
}

// serveAsset answers the asset {name}, or 404 in the error envelope.
func serveAsset(assets fs.FS) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		name := r.PathValue("name")
		ct, known := assetType(path.Ext(name))
		body, err := fs.ReadFile(assets, name)
		if !known || err != nil {
			httpx.WriteError(w, r, httpx.NotFound("no such asset"))
			return
		}
		serveBytes(ct, body)(w, r)
	}
}
