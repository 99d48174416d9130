package memory

import (
	"context"
	"errors"
	"sync"

	"github.com/omnistack/omnistack/iap"
)

// Config tunes a [Links] store. The zero value is ready to use; it has no
// fields yet and exists for the constructor's shape.
type Config struct{}

type key struct {
	source       iap.Source
	subscription string
}

// Links keeps subscription owners in a map. It is safe for concurrent
// use.
type Links struct {
	mu     sync.RWMutex
	owners map[key]string
}

var _ iap.Links = (*Links)(nil)

// New returns an empty Links store.
func New(Config) (*Links, error) {
	return &Links{owners: map[key]string{}}, nil
}

// Link implements [iap.Links].
func (l *Links) Link(ctx context.Context, source iap.Source, subscriptionID, userID string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if source == "" || subscriptionID == "" || userID == "" {
		return errors.New("iap/memory: link: empty source, subscription or user")
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.owners[key{source, subscriptionID}] = userID
	return nil
}

// User implements [iap.Links].
func (l *Links) User(ctx context.Context, source iap.Source, subscriptionID string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	l.mu.RLock()
	defer l.mu.RUnlock()
	user, ok := l.owners[key{source, subscriptionID}]
	if !ok {
		return "", iap.ErrNotFound
	}
	return user, nil
}
