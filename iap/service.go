package iap

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"strings"

	"github.com/omnistack/omnistack/httpx"
)

// DefaultPlan is the plan of a product that Config.Plans does not list.
const DefaultPlan = "pro"

// MaxAccountTokenLen is the longest account token taken as a user ID;
// Play allows 64 characters for an obfuscated account ID.
const MaxAccountTokenLen = 255

// Config tunes a [Service]. The zero value is ready to use.
type Config struct {
	// Plans maps store product IDs (App Store and Play alike) to plan
	// names. Default: none, every product gives DefaultPlan.
	Plans map[string]string
	// DefaultPlan is the plan of a product not in Plans. Default: "pro".
	DefaultPlan string
	// Logger receives notifications that name no known user. Default:
	// discard.
	Logger *slog.Logger
}

// Service turns verified store updates into entitlement changes: it finds
// the user (the account token the app set at purchase, else the recorded
// link of the subscription), records the link, maps the product to a plan
// and hands the [Change] to the [Ledger]. It is safe for concurrent use.
type Service struct {
	ledger Ledger
	links  Links
	cfg    Config
}

// NewService returns a Service writing to ledger and remembering owners in
// links.
func NewService(ledger Ledger, links Links, cfg Config) (*Service, error) {
	if ledger == nil {
		return nil, errors.New("iap: NewService: nil Ledger")
	}
	if links == nil {
		return nil, errors.New("iap: NewService: nil Links")
	}
	for product, plan := range cfg.Plans {
		if product == "" || plan == "" {
			return nil, fmt.Errorf("iap: Config.Plans: empty product or plan in %q=%q", product, plan)
		}
	}
	cfg.Plans = maps.Clone(cfg.Plans)
	cfg.DefaultPlan = cmp.Or(cfg.DefaultPlan, DefaultPlan)
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Service{ledger: ledger, links: links, cfg: cfg}, nil
}

// Plan returns the plan a product gives.
func (s *Service) Plan(productID string) string {
	if p, ok := s.cfg.Plans[productID]; ok {
		return p
	}
	return s.cfg.DefaultPlan
}

// Apply resolves u and records it. It returns the change and true when the
// ledger took it; false, with a nil error, when no user is known for the
// subscription (the update is logged and has no effect: the app set no
// account token and nothing linked the subscription before). An account
// token that is a UUID is lower-cased, as user IDs are.
func (s *Service) Apply(ctx context.Context, u Update) (Change, bool, error) {
	switch {
	case u.Source == "":
		return Change{}, false, errors.New("iap: Apply: empty source")
	case u.SubscriptionID == "":
		return Change{}, false, errors.New("iap: Apply: empty subscription ID")
	case !u.Status.Valid():
		return Change{}, false, fmt.Errorf("iap: Apply: invalid status %q", u.Status)
	case u.At.IsZero():
		return Change{}, false, errors.New("iap: Apply: zero At")
	}
	user, err := s.user(ctx, u)
	if err != nil {
		return Change{}, false, err
	}
	if user == "" {
		s.cfg.Logger.WarnContext(ctx, "iap: notification for a subscription of no known user",
			slog.String("source", string(u.Source)), slog.String("event_id", u.EventID),
			slog.String("event_type", u.EventType))
		return Change{}, false, nil
	}
	c := Change{Update: u, UserID: user, Plan: s.Plan(u.ProductID)}
	if err := s.ledger.Apply(ctx, c); err != nil {
		return Change{}, false, err
	}
	return c, true, nil
}

// user finds the owner of u's subscription and links it.
func (s *Service) user(ctx context.Context, u Update) (string, error) {
	if tok := accountUser(u.AccountToken); tok != "" {
		if err := s.links.Link(ctx, u.Source, u.SubscriptionID, tok); err != nil {
			return "", err
		}
		return tok, nil
	}
	user, err := s.links.User(ctx, u.Source, u.SubscriptionID)
	if err == nil || !errors.Is(err, ErrNotFound) {
		return user, err
	}
	if u.LinkedSubscriptionID == "" {
		return "", nil
	}
	user, err = s.links.User(ctx, u.Source, u.LinkedSubscriptionID)
	switch {
	case errors.Is(err, ErrNotFound):
		return "", nil
	case err != nil:
		return "", err
	}
	return user, s.links.Link(ctx, u.Source, u.SubscriptionID, user)
}

// accountUser returns the user ID an account token names: a UUID
// canonicalised, anything else trimmed; "" when there is none or it is
// too long.
func accountUser(tok string) string {
	tok = strings.TrimSpace(tok)
	if len(tok) > MaxAccountTokenLen {
		return ""
	}
	if id, ok := httpx.CanonicalUUID(tok); ok {
		return id
	}
	return tok
}
