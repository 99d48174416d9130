package supabase

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/omnistack/omnistack/webhooks"
)

// Event types of Database Webhooks on auth.users, as the [Verifier] names
// them.
const (
	EventUserInsert = "auth.users.INSERT"
	EventUserUpdate = "auth.users.UPDATE"
	EventUserDelete = "auth.users.DELETE"
)

// User is a row of auth.users as a Database Webhook carries it.
type User struct {
	// ID is the user's UUID, the "sub" of their Supabase tokens.
	ID string
	// Email is the record's email. It may be unconfirmed: trust it only
	// when EmailVerified is true.
	Email string
	// EmailVerified is true only when the record's email_confirmed_at is
	// a timestamp; null (or anything else) means unverified.
	EmailVerified bool
	// FullName is raw_user_meta_data's full_name, else its name.
	FullName string
	// AvatarURL is raw_user_meta_data's avatar_url, else its picture.
	AvatarURL string
	// UpdatedAt is the record's updated_at; zero when absent or not a
	// timestamp.
	UpdatedAt time.Time
	// Deleted is true for a DELETE and for a record whose deleted_at is
	// set (a soft delete).
	Deleted bool
}

// userRecord is the JSON of a row of auth.users.
type userRecord struct {
	ID               string  `json:"id"`
	Email            string  `json:"email"`
	EmailConfirmedAt *string `json:"email_confirmed_at"`
	UpdatedAt        *string `json:"updated_at"`
	DeletedAt        *string `json:"deleted_at"`
	Meta             struct {
		FullName  string `json:"full_name"`
		Name      string `json:"name"`
		AvatarURL string `json:"avatar_url"`
		Picture   string `json:"picture"`
	} `json:"raw_user_meta_data"`
}

// DecodeUser decodes the user of a Database Webhook payload on
// auth.users: the record of an INSERT or UPDATE, the old_record of a
// DELETE.
func DecodeUser(payload []byte) (User, error) {
	var p struct {
		Type      string      `json:"type"`
		Schema    string      `json:"schema"`
		Table     string      `json:"table"`
		Record    *userRecord `json:"record"`
		OldRecord *userRecord `json:"old_record"`
	}
	if err := json.Unmarshal(payload, &p); err != nil {
		return User{}, fmt.Errorf("webhooks/supabase: decode user: %w", err)
	}
	if p.Schema != "auth" || p.Table != "users" {
		return User{}, fmt.Errorf("webhooks/supabase: decode user: a change of %s.%s, not auth.users", p.Schema, p.Table)
	}
	var r *userRecord
	switch p.Type {
	case "INSERT", "UPDATE":
		r = p.Record
	case "DELETE":
		r = p.OldRecord
	default:
		return User{}, fmt.Errorf("webhooks/supabase: decode user: unknown change type %q", p.Type)
	}
	if r == nil || r.ID == "" {
		return User{}, errors.New("webhooks/supabase: decode user: no user id")
	}
	u := User{
		ID:        r.ID,
		Email:     r.Email,
		FullName:  firstNonEmpty(r.Meta.FullName, r.Meta.Name),
		AvatarURL: firstNonEmpty(r.Meta.AvatarURL, r.Meta.Picture),
		Deleted:   p.Type == "DELETE" || (r.DeletedAt != nil && *r.DeletedAt != ""),
	}
	if r.EmailConfirmedAt != nil {
		_, u.EmailVerified = parseTime(*r.EmailConfirmedAt)
	}
	if r.UpdatedAt != nil {
		u.UpdatedAt, _ = parseTime(*r.UpdatedAt)
	}
	return u, nil
}

// parseTime reads a timestamp as PostgreSQL's JSON (RFC 3339) or text
// output writes it.
func parseTime(s string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999-07", "2006-01-02 15:04:05.999999-07:00"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v = strings.TrimSpace(v); v != "" {
			return v
		}
	}
	return ""
}

// UserSync is what [HandleUsers] needs from the application's user store.
// Both methods must be idempotent: an event can be delivered, and so
// applied, more than once.
type UserSync interface {
	// SyncUser creates the local user of u.ID or updates it. It must be
	// an atomic create-or-update keyed by u.ID, so that it races safely
	// with a user created on their first request.
	SyncUser(ctx context.Context, u User) error
	// DeleteUser handles the deletion of user id at Supabase: it
	// deactivates the local user, keeping its data, and returns nil when
	// there is no such user.
	DeleteUser(ctx context.Context, id string) error
}

// HandleUsers registers on rcv (a receiver with the [Verifier]) handlers
// that sync users from Database Webhooks on auth.users: INSERT and UPDATE
// call [UserSync.SyncUser]; DELETE, and an UPDATE setting deleted_at, call
// [UserSync.DeleteUser]. An event older than the newest applied to the
// same user (by the record's updated_at, else the delivery time; the
// delivery time for a DELETE) is acknowledged without effect, through
// [webhooks.Receiver.Advance]. A payload that does not decode fails, so
// that it is kept for inspection.
func HandleUsers(rcv *webhooks.Receiver, users UserSync) {
	if users == nil {
		panic("webhooks/supabase: HandleUsers: nil UserSync")
	}
	h := func(ctx context.Context, ev webhooks.Event) error {
		u, err := DecodeUser(ev.Payload)
		if err != nil {
			return err
		}
		at := ev.OccurredAt
		if ev.Type != EventUserDelete && !u.UpdatedAt.IsZero() {
			at = u.UpdatedAt
		}
		if fresh, err := rcv.Advance(ctx, "user:"+u.ID, at); err != nil || !fresh {
			return err
		}
		if u.Deleted {
			return users.DeleteUser(ctx, u.ID)
		}
		return users.SyncUser(ctx, u)
	}
	rcv.Handle(EventUserInsert, h)
	rcv.Handle(EventUserUpdate, h)
	rcv.Handle(EventUserDelete, h)
}
