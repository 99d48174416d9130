package clerk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/omnistack/omnistack/webhooks"
)

// Clerk's user event types.
const (
	EventUserCreated = "user.created"
	EventUserUpdated = "user.updated"
	EventUserDeleted = "user.deleted"
)

// User is a Clerk user as a user event carries it.
type User struct {
	// ID is Clerk's user ID ("user_..."), the "sub" of its tokens.
	ID string
	// Email is the user's primary e-mail address; "" when there is none.
	// It may be unverified: trust it only when EmailVerified is true.
	Email string
	// EmailVerified is true only when the primary address's
	// verification status is "verified".
	EmailVerified bool
	FirstName     string
	LastName      string
	ImageURL      string
	// UpdatedAt is the user's updated_at; zero when absent.
	UpdatedAt time.Time
	// Deleted is true for the user of a user.deleted event, which
	// carries only the ID.
	Deleted bool
}

// FullName returns the first and last names, trimmed, joined by a space;
// either may be missing.
func (u User) FullName() string {
	var names []string
	for _, n := range []string{u.FirstName, u.LastName} {
		if n = strings.TrimSpace(n); n != "" {
			names = append(names, n)
		}
	}
	return strings.Join(names, " ")
}

// userData is the JSON of a Clerk user object (or of a deleted object).
type userData struct {
	ID                    string `json:"id"`
	Deleted               bool   `json:"deleted"`
	FirstName             string `json:"first_name"`
	LastName              string `json:"last_name"`
	ImageURL              string `json:"image_url"`
	PrimaryEmailAddressID string `json:"primary_email_address_id"`
	EmailAddresses        []struct {
		ID           string `json:"id"`
		EmailAddress string `json:"email_address"`
		Verification *struct {
			Status string `json:"status"`
		} `json:"verification"`
	} `json:"email_addresses"`
	UpdatedAt int64 `json:"updated_at"` // Unix ms
}

// DecodeUser decodes the user of a user event's payload
// ({"type": ..., "data": {...}}).
func DecodeUser(payload []byte) (User, error) {
	var body struct {
		Data *userData `json:"data"`
	}
	if err := json.Unmarshal(payload, &body); err != nil {
		return User{}, fmt.Errorf("webhooks/clerk: decode user: %w", err)
	}
	d := body.Data
	if d == nil || d.ID == "" {
		return User{}, errors.New("webhooks/clerk: decode user: no user id")
	}
	u := User{ID: d.ID, Deleted: d.Deleted, FirstName: d.FirstName, LastName: d.LastName, ImageURL: d.ImageURL}
	if d.UpdatedAt > 0 {
		u.UpdatedAt = time.UnixMilli(d.UpdatedAt).UTC()
	}
	if d.PrimaryEmailAddressID != "" {
		for _, e := range d.EmailAddresses {
			if e.ID == d.PrimaryEmailAddressID {
				u.Email = e.EmailAddress
				u.EmailVerified = e.Verification != nil && e.Verification.Status == "verified"
				break
			}
		}
	}
	return u, nil
}

// UserSync is what [HandleUsers] needs from the application's user store.
// Both methods must be idempotent: an event can be delivered, and so
// applied, more than once.
type UserSync interface {
	// SyncUser creates the local user of u.ID or updates it. It must be
	// an atomic create-or-update keyed by u.ID, so that it races safely
	// with a user created on their first request.
	SyncUser(ctx context.Context, u User) error
	// DeleteUser handles the deletion of user id at Clerk: it deactivates
	// the local user, keeping its data, and returns nil when there is no
	// such user.
	DeleteUser(ctx context.Context, id string) error
}

// HandleUsers registers on rcv (a receiver of Clerk's deliveries)
// handlers that sync users: user.created and user.updated call
// [UserSync.SyncUser], user.deleted calls [UserSync.DeleteUser]. An event
// older than the newest applied to the same user (by the user's
// updated_at, else the event's timestamp; the event's timestamp for a
// deletion) is acknowledged without effect, through
// [webhooks.Receiver.Advance]. A payload that does not decode fails, so
// that it is kept for inspection.
func HandleUsers(rcv *webhooks.Receiver, users UserSync) {
	if users == nil {
		panic("webhooks/clerk: HandleUsers: nil UserSync")
	}
	sync := func(ctx context.Context, ev webhooks.Event) error {
		u, err := DecodeUser(ev.Payload)
		if err != nil {
			return err
		}
		at := ev.OccurredAt
		if !u.UpdatedAt.IsZero() {
			at = u.UpdatedAt
		}
		if fresh, err := rcv.Advance(ctx, "user:"+u.ID, at); err != nil || !fresh {
			return err
		}
		return users.SyncUser(ctx, u)
	}
	rcv.Handle(EventUserCreated, sync)
	rcv.Handle(EventUserUpdated, sync)
	rcv.Handle(EventUserDeleted, func(ctx context.Context, ev webhooks.Event) error {
		u, err := DecodeUser(ev.Payload)
		if err != nil {
			return err
		}
		if fresh, err := rcv.Advance(ctx, "user:"+u.ID, ev.OccurredAt); err != nil || !fresh {
			return err
		}
		return users.DeleteUser(ctx, u.ID)
	})
}
