package main

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/redis/go-redis/v9"
)

// redisLogger passes go-redis's own log lines (pool dial failures and the
// like, printed to stderr by default) to the server's logger, so that
// they come out in its format. go-redis keeps one logger per process:
// this is the application's choice, made in main's package.
type redisLogger struct{ logger *slog.Logger }

func (l redisLogger) Printf(ctx context.Context, format string, v ...any) {
	msg := strings.TrimPrefix(fmt.Sprintf(format, v...), "redis: ")
	l.logger.WarnContext(ctx, "redis: "+msg)
}

var _ interface {
	Printf(context.Context, string, ...any)
} = redisLogger{}

// useRedisLogger makes logger go-redis's logger.
func useRedisLogger(logger *slog.Logger) { redis.SetLogger(redisLogger{logger}) }
