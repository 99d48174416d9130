package auth

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
)

// maxLookupSubjects bounds the subjects whose lookups [lookups] remembers;
// beyond it an arbitrary one is forgotten, which costs at most one more
// lookup for it.
const maxLookupSubjects = 10000

// lookups runs [UsersConfig.LookupIdentity] for subjects whose tokens
// carry no e-mail: one call at a time per subject, and, after a failure,
// retries spaced by a doubling delay and bounded in number. It is safe
// for concurrent use.
type lookups struct {
	fn       func(ctx context.Context, subject string) (Identity, error)
	retry    time.Duration
	attempts int
	now      func() time.Time
	logger   *slog.Logger
	flight   singleflight.Group

	mu sync.Mutex
	m  map[string]lookupState
}

type lookupState struct {
	failures int
	next     time.Time // no attempt before
	done     bool      // answered: nothing more to learn
}

func newLookups(fn func(context.Context, string) (Identity, error), retry time.Duration, attempts int,
	now func() time.Time, logger *slog.Logger) *lookups {
	return &lookups{fn: fn, retry: retry, attempts: attempts, now: now, logger: logger, m: map[string]lookupState{}}
}

// get returns the provider's identity of subject. Unless first (the
// request that creates the user, which always asks), it asks only when
// the subject's previous lookups failed fewer than attempts times and the
// last one's delay has passed. ok is false when nothing was learnt.
func (l *lookups) get(ctx context.Context, subject string, first bool) (Identity, bool) {
	if !first && !l.due(subject) {
		return Identity{}, false
	}
	v, err, _ := l.flight.Do(subject, func() (any, error) {
		id, err := l.fn(ctx, subject)
		l.record(subject, err)
		if err != nil {
			l.logger.WarnContext(ctx, "auth: identity lookup failed; the user has no e-mail until a later request or a webhook brings one",
				slog.String("subject", subject), slog.String("error", err.Error()))
		}
		return id, err
	})
	if err != nil {
		return Identity{}, false
	}
	id := v.(Identity)
	id.Subject = subject
	return id, true
}

// due reports whether subject may be looked up now.
func (l *lookups) due(subject string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	st, ok := l.m[subject]
	return !ok || (!st.done && st.failures < l.attempts && !l.now().Before(st.next))
}

// record notes the outcome of a lookup of subject.
func (l *lookups) record(subject string, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	st, ok := l.m[subject]
	if !ok && len(l.m) >= maxLookupSubjects {
		for k := range l.m { // an arbitrary one: map order is random
			delete(l.m, k)
			break
		}
	}
	if err == nil {
		st.done = true
	} else {
		st.failures++
		st.next = l.now().Add(l.retry << min(st.failures-1, 16))
	}
	l.m[subject] = st
}
