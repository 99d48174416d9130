package main

import (
	"context"
	"embed"
	"io/fs"
	"slices"
	"sync"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/omnistack/omnistack/migrate"
)

// The plans an administrator may give; users without one are on the
// first. The billing block's entitlements replace this file.
var planNames = [...]string{"free", "pro", "enterprise"}

const defaultPlan = "free"

// planStore keeps each user's plan until billing owns it: memory by
// default, PostgreSQL with DATABASE_URL. Both pass testPlanStore.
type planStore interface {
	// Plans returns the plan of each user ID; a user without one is on
	// defaultPlan.
	Plans(ctx context.Context, userIDs ...string) (map[string]string, error)
	// SetPlan gives a user a plan.
	SetPlan(ctx context.Context, userID, plan string) error
}

func validPlan(p string) bool { return slices.Contains(planNames[:], p) }

// newPlans returns the PostgreSQL store on pool (migrated unless
// autoMigrate is false), or the memory store without one.
func newPlans(ctx context.Context, pool *pgxpool.Pool, autoMigrate bool) (planStore, error) {
	if pool == nil {
		return &memoryPlans{plans: map[string]string{}}, nil
	}
	if autoMigrate {
		if err := migrate.Up(ctx, pool, planMigrations()); err != nil {
			return nil, err
		}
	}
	return &postgresPlans{pool: pool}, nil
}

//go:embed migrations/plans/*.sql
var planSQL embed.FS

// planMigrations is the saas_user_plans table. It runs before auth's
// migrations, whose removal of auth_users.plan it saves the values of.
func planMigrations() migrate.Source {
	sub, _ := fs.Sub(planSQL, "migrations/plans")
	return migrate.Source{Name: "saas_plans", FS: sub}
}

type memoryPlans struct {
	mu    sync.RWMutex
	plans map[string]string
}

func (s *memoryPlans) Plans(_ context.Context, ids ...string) (map[string]string, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make(map[string]string, len(ids))
	for _, id := range ids {
		out[id] = defaultPlan
		if p, ok := s.plans[id]; ok {
			out[id] = p
		}
	}
	return out, nil
}

func (s *memoryPlans) SetPlan(_ context.Context, id, plan string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.plans[id] = plan
	return nil
}

type postgresPlans struct{ pool *pgxpool.Pool }

func (s *postgresPlans) Plans(ctx context.Context, ids ...string) (map[string]string, error) {
	out := make(map[string]string, len(ids))
	for _, id := range ids {
		out[id] = defaultPlan
	}
	rows, err := s.pool.Query(ctx, "SELECT user_id::text, plan FROM saas_user_plans WHERE user_id = ANY($1::uuid[])", ids)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id, plan string
		if err := rows.Scan(&id, &plan); err != nil {
			return nil, err
		}
		out[id] = plan
	}
	return out, rows.Err()
}

func (s *postgresPlans) SetPlan(ctx context.Context, id, plan string) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO saas_user_plans (user_id, plan) VALUES ($1, $2)
		ON CONFLICT (user_id) DO UPDATE SET plan = EXCLUDED.plan, updated_at = now()`, id, plan)
	return err
}
