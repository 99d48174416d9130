package memory_test

import (
	"testing"

	"github.com/omnistack/omnistack/jobs"
	"github.com/omnistack/omnistack/jobs/jobstest"
	"github.com/omnistack/omnistack/jobs/memory"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestConformance(t *testing.T) {
	jobstest.Run(t, func(t *testing.T) jobs.Backend {
		b, err := memory.New(memory.Config{})
		require.NoError(t, err)
		return b
	})
}
