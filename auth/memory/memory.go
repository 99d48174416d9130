package memory

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/omnistack/omnistack/auth"
	"github.com/omnistack/omnistack/httpx"
)

// Config tunes a Store. The zero value is ready to use.
type Config struct {
	// Now reports the current time. Default: time.Now.
	Now func() time.Time
}

// Store keeps users in memory. It is safe for concurrent use.
type Store struct {
	now       func() time.Time
	mu        sync.RWMutex
	byID      map[string]*auth.User
	bySubject map[string]*auth.User
}

var _ auth.UserStore = (*Store)(nil)

// New returns an empty store. It returns no error today; the signature is
// the one every provider's New has.
func New(cfg Config) (*Store, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Store{now: cfg.Now, byID: map[string]*auth.User{}, bySubject: map[string]*auth.User{}}, nil
}

func (s *Store) stamp() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// Insert implements [auth.UserStore].
func (s *Store) Insert(ctx context.Context, in auth.NewUser) (auth.User, bool, error) {
	return s.put(ctx, in, false)
}

// Upsert implements [auth.UserStore].
func (s *Store) Upsert(ctx context.Context, in auth.NewUser) (auth.User, bool, error) {
	return s.put(ctx, in, true)
}

func (s *Store) put(ctx context.Context, in auth.NewUser, update bool) (auth.User, bool, error) {
	if err := ctx.Err(); err != nil {
		return auth.User{}, false, err
	}
	if in.Subject == "" {
		return auth.User{}, false, errors.New("auth/memory: store user: empty subject")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if u, ok := s.bySubject[in.Subject]; ok {
		if update {
			changed := false
			if in.Email != "" {
				verified := in.EmailVerified
				if in.Email == u.Email {
					verified = verified || u.EmailVerified
				}
				if verified != u.EmailVerified {
					u.EmailVerified, changed = verified, true
				}
			}
			for _, f := range []struct {
				dst *string
				v   string
			}{{&u.Email, in.Email}, {&u.FullName, in.FullName}, {&u.AvatarURL, in.AvatarURL}} {
				if f.v != "" && *f.dst != f.v {
					*f.dst, changed = f.v, true
				}
			}
			if changed {
				u.UpdatedAt = s.stamp()
			}
		}
		return *u, false, nil
	}
	now := s.stamp()
	u := &auth.User{ID: uuid.NewString(), Subject: in.Subject, Email: in.Email, EmailVerified: in.EmailVerified, FullName: in.FullName,
		AvatarURL: in.AvatarURL, Role: in.Role, IsActive: true, CreatedAt: now, UpdatedAt: now}
	s.byID[u.ID] = u
	s.bySubject[u.Subject] = u
	return *u, true, nil
}

// Get implements [auth.UserStore]. IDs are UUIDs in any case.
func (s *Store) Get(ctx context.Context, id string) (auth.User, error) {
	return s.get(ctx, s.byID, canonical(id))
}

// canonical is id in the lower-case form IDs are kept in, as PostgreSQL's
// uuid type reads any case.
func canonical(id string) string {
	if c, ok := httpx.CanonicalUUID(id); ok {
		return c
	}
	return id
}

// GetBySubject implements [auth.UserStore].
func (s *Store) GetBySubject(ctx context.Context, subject string) (auth.User, error) {
	return s.get(ctx, s.bySubject, subject)
}

func (s *Store) get(ctx context.Context, m map[string]*auth.User, key string) (auth.User, error) {
	if err := ctx.Err(); err != nil {
		return auth.User{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if u, ok := m[key]; ok {
		return *u, nil
	}
	return auth.User{}, auth.ErrNotFound
}

// List implements [auth.UserStore].
func (s *Store) List(ctx context.Context, q auth.UserQuery) ([]auth.User, int, error) {
	if err := ctx.Err(); err != nil {
		return nil, 0, err
	}
	search := strings.ToLower(q.Search)
	s.mu.RLock()
	var all []auth.User
	for _, u := range s.byID {
		if q.IsActive != nil && u.IsActive != *q.IsActive {
			continue
		}
		if search != "" && !strings.Contains(strings.ToLower(u.Email), search) && !strings.Contains(strings.ToLower(u.FullName), search) {
			continue
		}
		all = append(all, *u)
	}
	s.mu.RUnlock()
	slices.SortFunc(all, func(a, b auth.User) int {
		return cmp.Or(b.CreatedAt.Compare(a.CreatedAt), strings.Compare(b.ID, a.ID))
	})
	total := len(all)
	lo := min(max(q.Offset, 0), total)
	hi := total
	if q.Limit > 0 {
		hi = min(lo+q.Limit, total)
	}
	return slices.Clip(all[lo:hi]), total, nil
}

// Update implements [auth.UserStore].
func (s *Store) Update(ctx context.Context, id string, p auth.UserPatch) (auth.User, error) {
	if err := ctx.Err(); err != nil {
		return auth.User{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.byID[canonical(id)]
	if !ok {
		return auth.User{}, auth.ErrNotFound
	}
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	if p.Email != nil && *p.Email != u.Email && p.EmailVerified == nil {
		u.EmailVerified = false
	}
	if p.EmailVerified != nil {
		u.EmailVerified = *p.EmailVerified
	}
	set(&u.Email, p.Email)
	set(&u.FullName, p.FullName)
	set(&u.AvatarURL, p.AvatarURL)
	set(&u.Role, p.Role)
	if p.IsActive != nil {
		u.IsActive = *p.IsActive
	}
	u.UpdatedAt = s.stamp()
	return *u, nil
}
