package webhooks

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Identity is a user as an identity provider describes it.
type Identity struct {
	// Subject is the provider's user ID, the "sub" of its tokens.
	Subject   string
	Email     string
	Name      string
	AvatarURL string
}

// Users is what the user-sync handlers need from the application's user
// store. Both methods must be idempotent, and SyncIdentity must be an
// atomic create-or-update keyed by subject, so that it races safely with
// a user created on their first request.
type Users interface {
	// SyncIdentity creates the local user of id.Subject, or updates its
	// e-mail, name and avatar.
	SyncIdentity(ctx context.Context, id Identity) error
	// DeactivateSubject deactivates the local user of subject, keeping its
	// data; it returns nil when there is no such user.
	DeactivateSubject(ctx context.Context, subject string) error
}

// Clerk user event types.
const (
	ClerkUserCreated = "user.created"
	ClerkUserUpdated = "user.updated"
	ClerkUserDeleted = "user.deleted"
)

// HandleClerkUsers registers on rcv (a receiver of Clerk's Standard
// Webhooks) handlers that sync users: user.created and user.updated
// create or update the local user (e-mail from primary_email_address_id,
// name from first and last name joined by a space, avatar from
// image_url); user.deleted deactivates it. An event older than the
// newest applied to the same user (by the user's updated_at, or the
// event's timestamp for deletions) is ignored.
func HandleClerkUsers(rcv *Receiver, users Users) {
	upsert := func(ctx context.Context, ev Event) error {
		var body struct {
			Data clerkUser `json:"data"`
		}
		if err := json.Unmarshal(ev.Payload, &body); err != nil {
			return fmt.Errorf("webhooks: clerk %s: decode user: %w", ev.Type, err)
		}
		u := body.Data
		if u.ID == "" {
			return fmt.Errorf("webhooks: clerk %s: user without id", ev.Type)
		}
		at := ev.OccurredAt
		if u.UpdatedAt > 0 {
			at = time.UnixMilli(u.UpdatedAt)
		}
		if fresh, err := rcv.Advance(ctx, "user:"+u.ID, at); err != nil || !fresh {
			return err
		}
		return users.SyncIdentity(ctx, u.identity())
	}
	rcv.Handle(ClerkUserCreated, upsert)
	rcv.Handle(ClerkUserUpdated, upsert)
	rcv.Handle(ClerkUserDeleted, func(ctx context.Context, ev Event) error {
		var body struct {
			Data struct {
				ID string `json:"id"`
			} `json:"data"`
		}
		if err := json.Unmarshal(ev.Payload, &body); err != nil || body.Data.ID == "" {
			return fmt.Errorf("webhooks: clerk %s: no user id", ev.Type)
		}
		if fresh, err := rcv.Advance(ctx, "user:"+body.Data.ID, ev.OccurredAt); err != nil || !fresh {
			return err
		}
		return users.DeactivateSubject(ctx, body.Data.ID)
	})
}

type clerkUser struct {
	ID                    string  `json:"id"`
	FirstName             *string `json:"first_name"`
	LastName              *string `json:"last_name"`
	ImageURL              string  `json:"image_url"`
	PrimaryEmailAddressID *string `json:"primary_email_address_id"`
	EmailAddresses        []struct {
		ID           string `json:"id"`
		EmailAddress string `json:"email_address"`
	} `json:"email_addresses"`
	UpdatedAt int64 `json:"updated_at"` // Unix ms
}

func (u clerkUser) identity() Identity {
	id := Identity{Subject: u.ID, AvatarURL: u.ImageURL}
	var names []string
	for _, n := range []*string{u.FirstName, u.LastName} {
		if n != nil && strings.TrimSpace(*n) != "" {
			names = append(names, strings.TrimSpace(*n))
		}
	}
	id.Name = strings.Join(names, " ")
	if u.PrimaryEmailAddressID != nil {
		for _, e := range u.EmailAddresses {
			if e.ID == *u.PrimaryEmailAddressID {
				id.Email = e.EmailAddress
			}
		}
	}
	return id
}

// Supabase user event types, as the [Supabase] verifier names Database
// Webhook events on auth.users.
const (
	SupabaseUserInsert = "auth.users.INSERT"
	SupabaseUserUpdate = "auth.users.UPDATE"
	SupabaseUserDelete = "auth.users.DELETE"
)

// HandleSupabaseUsers registers on rcv (a receiver with the [Supabase]
// verifier) handlers that sync users from Database Webhooks on
// auth.users: INSERT and UPDATE create or update the local user (e-mail,
// and name and avatar from raw_user_meta_data's full_name or name and
// avatar_url or picture); DELETE, and an UPDATE setting deleted_at,
// deactivate it. An event older than the newest applied to the same user
// (by the record's updated_at, else the delivery time) is ignored.
func HandleSupabaseUsers(rcv *Receiver, users Users) {
	h := func(ctx context.Context, ev Event) error {
		var p struct {
			Type      string        `json:"type"`
			Record    *supabaseUser `json:"record"`
			OldRecord *supabaseUser `json:"old_record"`
		}
		if err := json.Unmarshal(ev.Payload, &p); err != nil {
			return fmt.Errorf("webhooks: supabase %s: decode: %w", ev.Type, err)
		}
		u := p.Record
		if p.Type == "DELETE" {
			u = p.OldRecord
		}
		if u == nil || u.ID == "" {
			return fmt.Errorf("webhooks: supabase %s: no user id", ev.Type)
		}
		at := ev.OccurredAt
		if p.Type != "DELETE" {
			at = u.updatedAt(at)
		}
		if fresh, err := rcv.Advance(ctx, "user:"+u.ID, at); err != nil || !fresh {
			return err
		}
		if p.Type == "DELETE" || (u.DeletedAt != nil && *u.DeletedAt != "") {
			return users.DeactivateSubject(ctx, u.ID)
		}
		return users.SyncIdentity(ctx, u.identity())
	}
	rcv.Handle(SupabaseUserInsert, h)
	rcv.Handle(SupabaseUserUpdate, h)
	rcv.Handle(SupabaseUserDelete, h)
}

type supabaseUser struct {
	ID        string  `json:"id"`
	Email     string  `json:"email"`
	UpdatedAt string  `json:"updated_at"`
	DeletedAt *string `json:"deleted_at"`
	Meta      struct {
		FullName  string `json:"full_name"`
		Name      string `json:"name"`
		AvatarURL string `json:"avatar_url"`
		Picture   string `json:"picture"`
	} `json:"raw_user_meta_data"`
}

func (u supabaseUser) identity() Identity {
	return Identity{
		Subject:   u.ID,
		Email:     u.Email,
		Name:      firstNonEmpty(u.Meta.FullName, u.Meta.Name),
		AvatarURL: firstNonEmpty(u.Meta.AvatarURL, u.Meta.Picture),
	}
}

// updatedAt parses updated_at as PostgreSQL's JSON (RFC 3339) or text
// output writes it, else returns def.
func (u supabaseUser) updatedAt(def time.Time) time.Time {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999-07", "2006-01-02 15:04:05.999999-07:00"} {
		if t, err := time.Parse(layout, u.UpdatedAt); err == nil {
			return t
		}
	}
	return def
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v = strings.TrimSpace(v); v != "" {
			return v
		}
	}
	return ""
}
