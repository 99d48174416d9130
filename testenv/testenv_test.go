package testenv_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/testenv"
)

func TestPostgresSchemasAreIsolated(t *testing.T) {
	t.Parallel()
	a, b := testenv.Postgres(t), testenv.Postgres(t)
	ctx := t.Context()
	_, err := a.Exec(ctx, "CREATE TABLE only_in_a (id int)")
	require.NoError(t, err)
	var visible bool
	require.NoError(t, b.QueryRow(ctx, "SELECT to_regclass('only_in_a') IS NOT NULL").Scan(&visible))
	assert.False(t, visible)
	require.NoError(t, a.QueryRow(ctx, "SELECT to_regclass('only_in_a') IS NOT NULL").Scan(&visible))
	assert.True(t, visible)
}

func TestRedisPrefixesDiffer(t *testing.T) {
	t.Parallel()
	c1, p1 := testenv.Redis(t)
	_, p2 := testenv.Redis(t)
	assert.NotEqual(t, p1, p2)
	require.NoError(t, c1.Set(t.Context(), p1+"k", "v", 0).Err())
	assert.Equal(t, "v", c1.Get(t.Context(), p1+"k").Val())
}
