// Package health serves liveness and readiness endpoints over named
// checks.
//
// Liveness answers 200 {"status":"healthy","version":"..."} as long as the
// process serves HTTP. Readiness runs every check in parallel, each under
// its own timeout (2 s by default), and answers
//
//	200 {"status":"healthy","checks":{"database":"ok","redis":"ok"}}
//	503 {"status":"unhealthy","checks":{"database":"ok","redis":"failed"}}
//
// naming the check that failed ("failed", or "timeout" when it ran out of
// time). A check that panics fails; one that ignores its context is
// abandoned at its timeout. Causes are logged through the injected
// logger, never sent.
//
// # Checks
//
// Any func(context.Context) error is a [Check]. [Postgres] and [Redis]
// check a database pool and a Redis client through one-method interfaces,
// so this package compiles neither pgx nor go-redis:
//
//	checker.Add("database", health.Postgres(pool))  // *pgxpool.Pool
//	checker.Add("redis", health.Redis(redisClient)) // any go-redis client
//
// A client whose Ping has another shape becomes a Check with a closure:
//
//	checker.Add("cache", func(ctx context.Context) error { return cache.Ping(ctx).Err() })
//
// # Concurrency
//
// A [Checker] is safe for concurrent use once its checks are added.
package health
