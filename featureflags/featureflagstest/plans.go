package featureflagstest

import (
	"context"
	"sync"
	"time"

	"github.com/omnistack/omnistack/featureflags"
)

// Plans is a settable featureflags.PlanFunc for tests of code that uses
// featureflags: each user's plan and billing period start, changed at
// will (a plan change mid-period, a new billing cycle). Users never set
// get the zero plan (the catalog's cheapest) and calendar periods. It is
// safe for concurrent use.
type Plans struct {
	mu sync.Mutex
	m  map[string]planOf
}

type planOf struct {
	name  string
	start time.Time
}

// Set gives the user a plan and a period start (zero: calendar periods).
func (p *Plans) Set(userID, plan string, periodStart time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.m == nil {
		p.m = make(map[string]planOf)
	}
	p.m[userID] = planOf{plan, periodStart}
}

// PlanOf is the featureflags.PlanFunc.
func (p *Plans) PlanOf(_ context.Context, userID string) (string, time.Time, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	e := p.m[userID]
	return e.name, e.start, nil
}

var _ featureflags.PlanFunc = (*Plans)(nil).PlanOf
