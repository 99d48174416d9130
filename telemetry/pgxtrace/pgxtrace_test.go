package pgxtrace_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/omnistack/omnistack/telemetry/pgxtrace"
	"github.com/omnistack/omnistack/testenv"
)

func TestQuerySpansCarryStatementNotValues(t *testing.T) {
	_, url := testenv.Schema(t)
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	tracer, err := pgxtrace.New(pgxtrace.Config{TracerProvider: tp})
	require.NoError(t, err)
	cfg, err := pgxpool.ParseConfig(url)
	require.NoError(t, err)
	cfg.ConnConfig.Tracer = tracer
	pool, err := pgxpool.NewWithConfig(t.Context(), cfg)
	require.NoError(t, err)
	defer pool.Close()

	ctx, parent := tp.Tracer("test").Start(t.Context(), "request")
	var n int
	require.NoError(t, pool.QueryRow(ctx, "SELECT length($1::text)", "secret-value").Scan(&n))
	parent.End()
	require.Equal(t, 12, n)

	var query tracetest.SpanStub
	for _, s := range exp.GetSpans() {
		if s.Name == "SELECT" {
			query = s
		}
	}
	require.True(t, query.SpanContext.IsValid(), "a SELECT span")
	assert.Equal(t, parent.SpanContext().SpanID(), query.Parent.SpanID())
	assert.Contains(t, query.Attributes, attribute.String("db.system.name", "postgresql"))
	assert.Contains(t, query.Attributes, attribute.String("db.query.text", "SELECT length($1::text)"))
	for _, kv := range query.Attributes {
		assert.NotContains(t, kv.Value.String(), "secret-value", "argument values are never recorded")
	}
}

func TestOperation(t *testing.T) {
	tests := []struct{ give, want string }{
		{"SELECT 1", "SELECT"},
		{"  insert into t values ($1)", "INSERT"},
		{"(SELECT 1) UNION (SELECT 2)", "SELECT"},
		{"WITH x AS (SELECT 1) SELECT * FROM x", "WITH"},
		{"", "QUERY"},
		{"-- comment\nSELECT 1", "QUERY"},
		{"stmtcache_0123456789abcdef", "QUERY"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, pgxtrace.Operation(tt.give), tt.give)
	}
}

func FuzzOperation(f *testing.F) {
	f.Add("SELECT 1")
	f.Add("")
	f.Fuzz(func(t *testing.T, sql string) {
		op := pgxtrace.Operation(sql)
		if op == "" || len(op) > 15 {
			t.Fatalf("operation %q out of bounds", op)
		}
	})
}
