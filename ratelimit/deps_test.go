package ratelimit_test

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestImportsNoDriver: the block root and the driver kit compile no Redis
// client; go-redis appears only in ratelimit/redis.
func TestImportsNoDriver(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go not on PATH")
	}
	out, err := exec.Command(goTool, "list", "-deps", ".", "./driver", "./memory").Output()
	require.NoError(t, err)
	for dep := range strings.FieldsSeq(string(out)) {
		assert.False(t, strings.HasPrefix(dep, "github.com/redis/") || strings.HasPrefix(dep, "github.com/jackc/"), "imports %s", dep)
	}
}
