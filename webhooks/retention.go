package webhooks

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"time"
)

// DefaultRetentionMaxAge is how long a [Retention] keeps processed and
// unhandled events unless [RetentionConfig.MaxAge] says otherwise.
const DefaultRetentionMaxAge = 30 * 24 * time.Hour

// RetentionConfig tunes a [Retention]. The zero value is ready to use.
type RetentionConfig struct {
	// MaxAge is how long processed and unhandled events (and object
	// times) are kept after their last update. Default: 30 days.
	MaxAge time.Duration
	// Now reports the current time. Default: time.Now.
	Now func() time.Time
}

// Retention deletes old events from a [Store]: processed and received
// (unhandled) events, and the object times of [Receiver.Advance], once
// older than MaxAge. Failed events are kept until an operator replays
// them.
//
// Retention runs nothing by itself: the application schedules
// [Retention.Prune] as a periodic job, deduplicated per tick across
// instances. It is safe for concurrent use.
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
	}
	cfg.MaxAge = cmp.Or(cfg.MaxAge, DefaultRetentionMaxAge)
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Retention{store: store, cfg: cfg}, nil
}

// Prune deletes, once, what was last updated more than MaxAge ago, and
// returns how many events it deleted. Its error is the store's.
func (r *Retention) Prune(ctx context.Context) (removed int, err error) {
	return r.store.Prune(ctx, r.cfg.Now().Add(-r.cfg.MaxAge))
}
