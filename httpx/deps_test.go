package httpx_test

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestImportsNoDriver: httpx is a foundation package every block imports,
// so it compiles neither go-redis nor pgx.
func TestImportsNoDriver(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go not on PATH")
	}
	out, err := exec.Command(goTool, "list", "-deps", ".").Output()
	require.NoError(t, err)
	for dep := range strings.FieldsSeq(string(out)) {
		assert.False(t, strings.HasPrefix(dep, "github.com/redis/") || strings.HasPrefix(dep, "github.com/jackc/"), "httpx imports %s", dep)
	}
}
