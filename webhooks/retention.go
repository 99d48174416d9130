package webhooks

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// Defaults of [RetentionConfig].
const (
	DefaultRetentionMaxAge   = 30 * 24 * time.Hour
	DefaultRetentionInterval = time.Hour
)

// RetentionConfig tunes a [Retention]. The zero value is ready to use.
type RetentionConfig struct {
	// MaxAge is how long processed and unhandled events (and object
	// times) are kept. Default: 30 days.
	MaxAge time.Duration
	// Interval is the pause between two prunes of [Retention.Run].
	// Default: 1 hour.
	Interval time.Duration
	// Now reports the current time. Default: time.Now.
	Now func() time.Time
	// Logger receives prune errors and counts from Run. Default: discard.
	Logger *slog.Logger
}

// Retention deletes old processed events from a [Store]. Failed events
// are kept until an operator replays them. It is safe for concurrent use.
type Retention struct {
	store Store
	cfg   RetentionConfig
}

// NewRetention returns a Retention over store.
func NewRetention(store Store, cfg RetentionConfig) (*Retention, error) {
	switch {
	case store == nil:
		return nil, errors.New("webhooks: NewRetention: nil Store")
	case cfg.MaxAge < 0:
		return nil, fmt.Errorf("webhooks: RetentionConfig.MaxAge must not be negative, got %s", cfg.MaxAge)
	case cfg.Interval < 0:
		return nil, fmt.Errorf("webhooks: RetentionConfig.Interval must not be negative, got %s", cfg.Interval)
	}
	cfg.MaxAge = cmp.Or(cfg.MaxAge, DefaultRetentionMaxAge)
	cfg.Interval = cmp.Or(cfg.Interval, DefaultRetentionInterval)
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Retention{store: store, cfg: cfg}, nil
}

// Prune deletes what is older than MaxAge once and returns how many events
// it deleted.
func (r *Retention) Prune(ctx context.Context) (int64, error) {
	return r.store.Prune(ctx, r.cfg.Now().Add(-r.cfg.MaxAge))
}

// Run prunes at once and then every Interval until ctx ends, logging
// errors, and returns ctx's error.
func (r *Retention) Run(ctx context.Context) error {
	t := time.NewTicker(r.cfg.Interval)
	defer t.Stop()
	for {
		n, err := r.Prune(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			r.cfg.Logger.ErrorContext(ctx, "webhook retention prune", slog.String("error", err.Error()))
		case n > 0:
			r.cfg.Logger.InfoContext(ctx, "webhook retention pruned events", slog.Int64("deleted", n))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}
