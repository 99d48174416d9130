package webhooks_test

import (
	"go/build"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const module = "github.com/omnistack/omnistack"

// TestRootCompilesNoProviderSDK walks the imports of this package and of
// every package of the module it reaches, reading the source files the
// current platform builds (test files excluded), and checks that no
// provider SDK or driver is among them: a program importing only webhooks
// does not compile stripe-go. Third-party packages are leaves here; the
// reference check is `go list -deps ./webhooks`.
func TestRootCompilesNoProviderSDK(t *testing.T) {
	t.Parallel()
	root, err := filepath.Abs("..")
	require.NoError(t, err)
	_, err = os.Stat(filepath.Join(root, "go.mod"))
	require.NoError(t, err, "the module root is the parent directory")

	seen := map[string]bool{}
	var external []string
	queue := []string{module + "/webhooks"}
	for len(queue) > 0 {
		path := queue[0]
		queue = queue[1:]
		if seen[path] {
			continue
		}
		seen[path] = true
		dir := filepath.Join(root, filepath.FromSlash(strings.TrimPrefix(path, module)))
		pkg, err := build.ImportDir(dir, 0)
		require.NoError(t, err, path)
		for _, imp := range pkg.Imports {
			switch {
			case imp == module || strings.HasPrefix(imp, module+"/"):
				queue = append(queue, imp)
			case !strings.Contains(strings.SplitN(imp, "/", 2)[0], "."):
				// The standard library.
			default:
				external = append(external, imp)
			}
		}
	}
	slices.Sort(external)
	external = slices.Compact(external)
	t.Logf("module packages: %d; third-party imports: %v", len(seen), external)
	assert.True(t, seen[module+"/httpx"], "the walk follows module imports")
	for _, imp := range external {
		for _, banned := range []string{"github.com/stripe/", "github.com/jackc/pgx", "github.com/redis/"} {
			assert.False(t, strings.HasPrefix(imp, banned), "webhooks compiles %s", imp)
		}
	}
	for path := range seen {
		assert.False(t, strings.HasPrefix(path, module+"/webhooks/"), "webhooks imports its subpackage %s", path)
	}
}
