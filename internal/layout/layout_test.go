package layout_test

import (
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const module = "github.com/omnistack/omnistack"

// blocks are the building blocks: a program imports one of their roots
// without compiling another block.
var blocks = []string{"auth", "crud", "ratelimit", "jobs", "email", "storage", "webhooks",
	"ai", "billing", "iap", "featureflags"}

// shared are the packages every block may use; they import no block.
var shared = []string{"httpx", "health"}

// providerCode is what only provider subpackages compile: SDKs of
// outside services, the job queue and the database and Redis drivers.
var providerCode = []string{
	"github.com/stripe/", "github.com/aws/", "github.com/resend/", "github.com/sendgrid/",
	"github.com/riverqueue/", "github.com/openai/", "github.com/anthropics/", "google.golang.org/genai",
	"github.com/jackc/pgx", "github.com/redis/", "github.com/open-feature/",
}

type listed struct {
	ImportPath string
	Deps       []string
	Imports    []string
	// TestImports and XTestImports are those of the package's tests.
	TestImports, XTestImports []string
}

// list runs `go list -deps=false -json` over the module's packages at
// the repository root.
func list(t *testing.T, patterns ...string) map[string]listed {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go command is not on PATH")
	}
	root, err := filepath.Abs(filepath.Join("..", ".."))
	require.NoError(t, err)
	cmd := exec.Command(goTool, append([]string{"list", "-json=ImportPath,Deps,Imports,TestImports,XTestImports"}, patterns...)...)
	cmd.Dir = root
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	require.NoError(t, err)
	pkgs := map[string]listed{}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var p listed
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else {
			require.NoError(t, err)
		}
		pkgs[p.ImportPath] = p
	}
	return pkgs
}

// present is the subset of names that exist as directories of the module
// (iap is listed before it is built).
func present(t *testing.T, names []string) []string {
	t.Helper()
	var out []string
	for _, n := range names {
		if _, err := os.Stat(filepath.Join("..", "..", n)); err == nil {
			out = append(out, n)
		}
	}
	return out
}

// TestBlockRootsCompileNoProviderCode: `go list -deps ./<block>` for every
// block root, httpx and health holds no other block, no provider SDK and
// neither pgx nor go-redis.
func TestBlockRootsCompileNoProviderCode(t *testing.T) {
	t.Parallel()
	roots := append(present(t, blocks), shared...)
	patterns := make([]string, len(roots))
	for i, r := range roots {
		patterns[i] = "./" + r
	}
	pkgs := list(t, patterns...)
	require.Len(t, pkgs, len(roots))
	for _, r := range roots {
		p := pkgs[module+"/"+r]
		require.NotEmpty(t, p.ImportPath, r)
		for _, dep := range p.Deps {
			for _, banned := range providerCode {
				assert.False(t, strings.HasPrefix(dep, banned), "%s compiles %s", r, dep)
			}
			rel, ok := strings.CutPrefix(dep, module+"/")
			if !ok {
				continue
			}
			top, _, _ := strings.Cut(rel, "/")
			if top != r {
				assert.NotContains(t, blocks, top, "%s compiles the block package %s", r, dep)
			}
			if top == r && !strings.Contains(rel, "/internal/") {
				assert.Fail(t, "a block root imports its own subpackage", "%s imports %s: subpackages import the root, never the reverse (internal/ kits excepted)", r, dep)
			}
		}
	}
}

// TestSharedPackagesImportNoBlock: httpx, health, migrate and resilience
// sit below the blocks.
func TestSharedPackagesImportNoBlock(t *testing.T) {
	t.Parallel()
	pkgs := list(t, "./httpx/...", "./health/...", "./migrate/...", "./resilience/...")
	for path, p := range pkgs {
		for _, dep := range p.Deps {
			rel, ok := strings.CutPrefix(dep, module+"/")
			if !ok {
				continue
			}
			top, _, _ := strings.Cut(rel, "/")
			assert.NotContains(t, blocks, top, "%s compiles the block package %s", path, dep)
		}
	}
}

// TestExampleUsesOnlyPublicAPI: the reference server is built from what
// users can import: neither it nor its tests import anything under an
// internal/ directory (the blocks it imports use their own), so it keeps
// compiling, tests included, once copied into another module.
func TestExampleUsesOnlyPublicAPI(t *testing.T) {
	t.Parallel()
	pkgs := list(t, "./examples/...")
	require.NotEmpty(t, pkgs)
	for path, p := range pkgs {
		for _, dep := range slices.Concat(p.Imports, p.TestImports, p.XTestImports) {
			if strings.HasPrefix(dep, module+"/") && strings.Contains(dep, "/internal") {
				assert.Fail(t, "example imports internal code", "%s compiles %s", path, dep)
			}
		}
	}
}
