package readme

import (
	"log/slog"
	"net/http"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"github.com/omnistack/omnistack/health"
)

func healthSnippet(mux *http.ServeMux, pool *pgxpool.Pool, rdb *redis.Client, logger *slog.Logger) {
	// given: mux *http.ServeMux, pool *pgxpool.Pool, rdb *redis.Client, logger *slog.Logger
	checker, _ := health.New(health.Config{Version: "1.0.0", Logger: logger})
	checker.Add("database", health.Postgres(pool)) // checks run in parallel, 2 s timeout each
	checker.Add("redis", health.Redis(rdb))
	mux.HandleFunc("GET /health", checker.Live)
	mux.HandleFunc("GET /health/ready", checker.Ready) // 503 {"status":"unhealthy","checks":{"redis":"failed",...}}
}
