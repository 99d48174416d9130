package memory

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/omnistack/omnistack/billing"
)

// Config tunes a Store. The zero value is ready to use; it has no fields
// yet and exists for the constructor's shape.
type Config struct{}

type customerKey struct {
	source billing.Source
	id     string // a user ID or a customer ID
}

// Store keeps entitlements and customers in maps.
type Store struct {
	mu        sync.Mutex
	records   map[string]billing.Entitlement
	customers map[customerKey]string // (source, user) → customer
	owners    map[customerKey]string // (source, customer) → user
	creating  map[customerKey]chan struct{}
}

var _ billing.Store = (*Store)(nil)

// New returns an empty Store.
func New(Config) (*Store, error) {
	return &Store{
		records:   map[string]billing.Entitlement{},
		customers: map[customerKey]string{},
		owners:    map[customerKey]string{},
		creating:  map[customerKey]chan struct{}{},
	}, nil
}

func micro(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.UTC().Truncate(time.Microsecond)
}

func normalize(e billing.Entitlement) billing.Entitlement {
	e.CurrentPeriodStart, e.CurrentPeriodEnd = micro(e.CurrentPeriodStart), micro(e.CurrentPeriodEnd)
	e.TrialEnd, e.UpdatedAt, e.OverrideAt = micro(e.TrialEnd), micro(e.UpdatedAt), micro(e.OverrideAt)
	return e
}

// Get implements [billing.Store].
func (s *Store) Get(ctx context.Context, userID string) (billing.Entitlement, error) {
	if err := ctx.Err(); err != nil {
		return billing.Entitlement{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, ok := s.records[userID]
	if !ok {
		return billing.Entitlement{}, billing.ErrNotFound
	}
	return rec, nil
}

// Apply implements [billing.Store].
func (s *Store) Apply(ctx context.Context, e billing.Entitlement) (billing.Entitlement, bool, error) {
	if err := ctx.Err(); err != nil {
		return billing.Entitlement{}, false, err
	}
	e = normalize(e)
	s.mu.Lock()
	defer s.mu.Unlock()
	stored, ok := s.records[e.UserID]
	if !ok {
		stored = billing.Entitlement{UserID: e.UserID, Status: billing.StatusNone}
	}
	if !billing.Supersedes(stored, e) {
		return stored, false, nil
	}
	e.OverridePlan, e.OverrideAt = stored.OverridePlan, stored.OverrideAt
	s.records[e.UserID] = e
	return e, true, nil
}

// SetOverride implements [billing.Store].
func (s *Store) SetOverride(ctx context.Context, userID, plan string, at time.Time) (billing.Entitlement, error) {
	if err := ctx.Err(); err != nil {
		return billing.Entitlement{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, ok := s.records[userID]
	if !ok {
		rec = billing.Entitlement{UserID: userID, Status: billing.StatusNone}
	}
	rec.OverridePlan, rec.OverrideAt = plan, micro(at)
	if plan == "" {
		rec.OverrideAt = time.Time{}
	}
	s.records[userID] = rec
	return rec, nil
}

// Customer implements [billing.Store].
func (s *Store) Customer(ctx context.Context, source billing.Source, userID string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	id, ok := s.customers[customerKey{source, userID}]
	if !ok {
		return "", billing.ErrNotFound
	}
	return id, nil
}

// UserByCustomer implements [billing.Store].
func (s *Store) UserByCustomer(ctx context.Context, source billing.Source, customerID string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	user, ok := s.owners[customerKey{source, customerID}]
	if !ok {
		return "", billing.ErrNotFound
	}
	return user, nil
}

// EnsureCustomer implements [billing.Store]: the first caller for a user
// runs create while later ones wait for it (or for their ctx).
func (s *Store) EnsureCustomer(ctx context.Context, source billing.Source, userID string, create func(ctx context.Context) (string, error)) (string, error) {
	key := customerKey{source, userID}
	for {
		if err := ctx.Err(); err != nil {
			return "", err
		}
		s.mu.Lock()
		if id, ok := s.customers[key]; ok {
			s.mu.Unlock()
			return id, nil
		}
		wait, busy := s.creating[key]
		if !busy {
			done := make(chan struct{})
			s.creating[key] = done
			s.mu.Unlock()
			return s.create(ctx, key, done, create)
		}
		s.mu.Unlock()
		select {
		case <-wait:
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}
}

func (s *Store) create(ctx context.Context, key customerKey, done chan struct{}, create func(ctx context.Context) (string, error)) (string, error) {
	id, err := create(ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.creating, key)
	close(done)
	if err != nil {
		return "", err
	}
	if owner, taken := s.owners[customerKey{key.source, id}]; taken && owner != key.id {
		return "", fmt.Errorf("billing/memory: customer %s: %w", id, billing.ErrCustomerTaken)
	}
	s.customers[key] = id
	s.owners[customerKey{key.source, id}] = key.id
	return id, nil
}
