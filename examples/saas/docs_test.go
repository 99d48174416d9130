package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// externalURL finds what would make a browser reach another host: an
// absolute or protocol-relative URL in markup, script or style.
var externalURL = regexp.MustCompile(`(?i)[a-z][a-z0-9+.-]*://|["'(=]\s*//`)

// assetRef finds the page's src and href attributes.
var assetRef = regexp.MustCompile(`(?i)\b(?:src|href)\s*=\s*"([^"]*)"`)

func TestDocsPageServesEmbeddedAssetsOnly(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil)
	resp := s.do(t, "GET", "/docs", nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "text/html; charset=utf-8", resp.Header.Get("Content-Type"))
	csp := resp.Header.Get("Content-Security-Policy")
	assert.Contains(t, csp, "default-src 'none'")
	assert.Contains(t, csp, "script-src 'self'")
	assert.NotContains(t, csp, "unsafe-inline")
	page, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	assert.Empty(t, externalURL.FindAllString(string(page), -1), "the page names no other host")

	var assets []string
	for _, m := range assetRef.FindAllStringSubmatch(string(page), -1) {
		ref := m[1]
		switch {
		case ref == openAPIPath, strings.HasPrefix(ref, "#"), strings.HasPrefix(ref, "data:"):
		case strings.HasPrefix(ref, "/docs/assets/"):
			assets = append(assets, ref)
		default:
			t.Errorf("the page refers to %q, which is neither an embedded asset nor the document", ref)
		}
	}
	require.Len(t, assets, 2, "a script and a style sheet")
	for _, a := range assets {
		resp := s.do(t, "GET", a, nil)
		require.Equalf(t, http.StatusOK, resp.StatusCode, "%s", a)
		body, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		assert.NotEmpty(t, body)
		assert.Emptyf(t, externalURL.FindAllString(string(body), -1), "%s names no other host", a)
		assert.Regexp(t, `^text/(javascript|css); charset=utf-8$`, resp.Header.Get("Content-Type"))
	}
	resp = s.do(t, "GET", "/docs/assets/missing.js", nil)
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	resp = s.do(t, "GET", "/docs/assets/docs.go", nil)
	assert.Equal(t, http.StatusNotFound, resp.StatusCode, "only the page's assets")
}

// findBrowser returns the path of a Chromium binary, or skips the test
// where none is installed and CI is unset (fails under CI).
func findBrowser(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("no Chromium found and CI is set: install Debian's chromium package (make test does)")
	}
	t.Skip("no Chromium found: install Debian's chromium package to check /docs in a browser")
	return ""
}

// docsRoute is an operation as the rendered page shows it.
type docsRoute struct {
	Route   string `json:"route"`
	Visible bool   `json:"visible"`
	Planned bool   `json:"planned"`
}

// TestDocsPageInBrowser opens /docs in headless Chromium as a person
// would: every route of the document is listed and visible, planned ones
// marked, the filter narrows the list, and the console stays free of
// errors (script exceptions, failed loads, Content-Security-Policy
// refusals).
func TestDocsPageInBrowser(t *testing.T) {
	t.Parallel()
	browser := findBrowser(t)
	s := startServer(t, nil)

	var doc struct {
		Paths map[string]map[string]struct {
			Planned bool `json:"x-planned"`
		} `json:"paths"`
	}
	require.NoError(t, json.Unmarshal(fetchOpenAPI(t, s), &doc))
	var want, wantPlanned []string
	for path, item := range doc.Paths {
		for method, op := range item {
			r := strings.ToUpper(method) + " " + path
			want = append(want, r)
			if op.Planned {
				wantPlanned = append(wantPlanned, r)
			}
		}
	}
	slices.Sort(want)
	slices.Sort(wantPlanned)
	require.NotEmpty(t, want)

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(browser),
		chromedp.NoSandbox, // the tests may run as root
		chromedp.DisableGPU,
		chromedp.UserDataDir(t.TempDir()),
	)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	var mu sync.Mutex
	var consoleErrors []string
	listen := func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch e := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			if e.Type == runtime.ConsoleAPICalledTypeError || e.Type == runtime.ConsoleAPICalledTypeWarning || e.Type == runtime.ConsoleAPICalledTypeAssert {
				var args []string
				for _, a := range e.Args {
					args = append(args, string(a.Value)+a.Description)
				}
				consoleErrors = append(consoleErrors, fmt.Sprintf("console.%s: %s", e.Type, strings.Join(args, " ")))
			}
		case *runtime.EventExceptionThrown:
			consoleErrors = append(consoleErrors, "exception: "+e.ExceptionDetails.Text+" "+exceptionDescription(e.ExceptionDetails))
		case *cdplog.EventEntryAdded:
			if e.Entry.Level == cdplog.EntryLevelError || e.Entry.Level == cdplog.EntryLevelWarning {
				consoleErrors = append(consoleErrors, fmt.Sprintf("log %s: %s %s", e.Entry.Level, e.Entry.Text, e.Entry.URL))
			}
		}
	}
	bctx, cancelBrowser := chromedp.NewContext(allocCtx, chromedp.WithListener(listen))
	defer cancelBrowser()

	_, err := chromedp.Call(bctx, cdplog.Enable, cdp.Empty{}) // failed loads and CSP refusals
	require.NoError(t, err)
	_, err = chromedp.Call(bctx, runtime.Enable, cdp.Empty{}) // console calls and exceptions
	require.NoError(t, err)
	require.NoError(t, chromedp.Do(bctx, chromedp.Navigate(s.URL+"/docs")))
	state, err := chromedp.Run(bctx, chromedp.Poll[string](`document.body.dataset.state !== "loading" && document.body.dataset.state`))
	require.NoError(t, err)
	require.Equal(t, "ready", state, "the page rendered the document")

	routes, err := chromedp.Run(bctx, chromedp.Evaluate[[]docsRoute](`Array.from(document.querySelectorAll("details.op")).map(d => {
		const r = d.querySelector(".op-route");
		return {route: r.innerText.replace(/\s+/g, " ").trim(), visible: r.getClientRects().length > 0,
			planned: !!d.querySelector(".badge.planned")};
	})`))
	require.NoError(t, err)
	var got, gotPlanned []string
	for _, r := range routes {
		got = append(got, r.Route)
		assert.Truef(t, r.Visible, "%s is listed but not visible", r.Route)
		if r.Planned {
			gotPlanned = append(gotPlanned, r.Route)
		}
	}
	slices.Sort(got)
	slices.Sort(gotPlanned)
	assert.Equal(t, want, got, "every route of the document, listed once")
	assert.Equal(t, wantPlanned, gotPlanned, "the planned routes carry the badge")
	errorSchema, err := chromedp.Run(bctx, chromedp.Text(chromedp.CSS("#schema-Error")))
	require.NoError(t, err)
	assert.Contains(t, errorSchema, "request_id", "the error envelope's schema is shown")

	// The filter narrows the list to what was typed.
	require.NoError(t, chromedp.Do(bctx, chromedp.SendKeys(chromedp.CSS("#filter"), "projects GET")))
	shown, err := chromedp.Run(bctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("details.op"))
		.filter(d => d.getClientRects().length > 0)
		.map(d => d.querySelector(".op-route").innerText.replace(/\s+/g, " ").trim())`))
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{"GET /api/v1/app/projects", "GET /api/v1/app/projects/{id}"}, shown)

	// Opening an operation shows its answers.
	op := `details.op[data-path="/api/v1/app/projects/{id}"][data-method="GET"]`
	require.NoError(t, chromedp.Do(bctx, chromedp.Click(chromedp.CSS(op+" > summary"))))
	opened, err := chromedp.Run(bctx, chromedp.Text(chromedp.CSS(op+" .op-body"), chromedp.NodeVisible))
	require.NoError(t, err)
	assert.Contains(t, opened, "Needs a bearer token")
	assert.Contains(t, opened, "304")
	assert.Contains(t, opened, "If-None-Match")

	mu.Lock()
	defer mu.Unlock()
	assert.Empty(t, consoleErrors, "the console stays clean")
}

// exceptionDescription is the thrown value's description, if any.
func exceptionDescription(d *runtime.ExceptionDetails) string {
	if d == nil || d.Exception == nil {
		return ""
	}
	return d.Exception.Description
}
