package memory_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/crud"
	"github.com/omnistack/omnistack/crud/crudtest"
	"github.com/omnistack/omnistack/crud/memory"
)

func TestConformance(t *testing.T) {
	t.Parallel()
	crudtest.Run(t, func(t *testing.T) crud.Store[crudtest.Widget] {
		s, err := memory.New(crudtest.WidgetResource, memory.Config{})
		require.NoError(t, err)
		return s
	})
}
