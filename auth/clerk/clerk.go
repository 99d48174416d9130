package clerk

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/omnistack/omnistack/auth"
)

// DefaultBaseURL is Clerk's Backend API.
const DefaultBaseURL = "https://api.clerk.com"

// maxBody bounds the user object read from the API; real ones are a few
// kilobytes.
const maxBody = 1 << 20

// Config configures a [Client]. The zero value is ready to use.
type Config struct {
	// BaseURL is the Backend API root, without /v1. Default:
	// [DefaultBaseURL]. Tests and proxies point it elsewhere.
	BaseURL string
	// HTTPClient sends the requests. Default: a client with Timeout.
	HTTPClient *http.Client
	// Timeout bounds one lookup, including a given HTTPClient's. The
	// lookup runs within a request whose user is being created: keep it
	// short. Default: 5s.
	Timeout time.Duration
}

// Client reads users from Clerk's Backend API. It is safe for concurrent
// use.
type Client struct {
	secretKey string
	base      string
	hc        *http.Client
	timeout   time.Duration
}

// New returns a Client authenticating with secretKey, the instance's
// secret key ("sk_live_..." or "sk_test_...").
func New(secretKey string, cfg Config) (*Client, error) {
	secretKey = strings.TrimSpace(secretKey)
	if secretKey == "" {
		return nil, errors.New("auth/clerk: New: empty secret key")
	}
	base := strings.TrimRight(cmp.Or(cfg.BaseURL, DefaultBaseURL), "/")
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" {
		return nil, fmt.Errorf("auth/clerk: Config.BaseURL must be an absolute http(s) URL, got %q", cfg.BaseURL)
	}
	if cfg.Timeout < 0 {
		return nil, fmt.Errorf("auth/clerk: Config.Timeout must not be negative, got %s", cfg.Timeout)
	}
	cfg.Timeout = cmp.Or(cfg.Timeout, 5*time.Second)
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: cfg.Timeout}
	}
	return &Client{secretKey: secretKey, base: base, hc: hc, timeout: cfg.Timeout}, nil
}

// Identity fetches the user subject (Clerk's user ID, the token's sub)
// with GET /v1/users/{user_id}: the primary e-mail address and whether
// its verification status is "verified", the first and last name joined
// by a space, and image_url. A user without a primary address (phone
// only) has no Email. A missing user matches [auth.ErrNotFound].
// Its signature is that of [auth.UsersConfig.LookupIdentity].
func (c *Client) Identity(ctx context.Context, subject string) (auth.Identity, error) {
	if subject == "" || subject == "." || subject == ".." {
		return auth.Identity{}, fmt.Errorf("auth/clerk: get user: invalid user ID %q", subject)
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/v1/users/"+url.PathEscape(subject), nil)
	if err != nil {
		return auth.Identity{}, fmt.Errorf("auth/clerk: get user: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+c.secretKey)
	req.Header.Set("Accept", "application/json")
	resp, err := c.hc.Do(req)
	if err != nil {
		return auth.Identity{}, fmt.Errorf("auth/clerk: get user %q: %w", subject, err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return auth.Identity{}, fmt.Errorf("auth/clerk: get user %q: read response: %w", subject, err)
	}
	if resp.StatusCode != http.StatusOK {
		return auth.Identity{}, apiError(subject, resp.StatusCode, body)
	}
	id, err := decodeUser(body, subject)
	if err != nil {
		return auth.Identity{}, fmt.Errorf("auth/clerk: get user %q: %w", subject, err)
	}
	return id, nil
}

// user is the part of Clerk's User object that Identity reads.
type user struct {
	ID                    string  `json:"id"`
	FirstName             *string `json:"first_name"`
	LastName              *string `json:"last_name"`
	ImageURL              string  `json:"image_url"`
	PrimaryEmailAddressID *string `json:"primary_email_address_id"`
	EmailAddresses        []struct {
		ID           string `json:"id"`
		EmailAddress string `json:"email_address"`
		Verification *struct {
			Status string `json:"status"`
		} `json:"verification"`
	} `json:"email_addresses"`
}

// decodeUser reads the identity of subject out of a User object.
func decodeUser(body []byte, subject string) (auth.Identity, error) {
	var u user
	if err := json.Unmarshal(body, &u); err != nil {
		return auth.Identity{}, fmt.Errorf("decode user: %w", err)
	}
	if u.ID != subject {
		return auth.Identity{}, fmt.Errorf("the API answered user %q", u.ID)
	}
	id := auth.Identity{Subject: u.ID, AvatarURL: u.ImageURL}
	id.Name = strings.TrimSpace(deref(u.FirstName) + " " + deref(u.LastName))
	if primary := deref(u.PrimaryEmailAddressID); primary != "" {
		for _, e := range u.EmailAddresses {
			if e.ID == primary {
				id.Email = e.EmailAddress
				id.EmailVerified = e.EmailAddress != "" && e.Verification != nil && e.Verification.Status == "verified"
				break
			}
		}
	}
	return id, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// apiError describes a non-200 answer by its status and Clerk's error
// code, never the response body as a whole.
func apiError(subject string, status int, body []byte) error {
	var env struct {
		Errors []struct {
			Code string `json:"code"`
		} `json:"errors"`
	}
	code := ""
	if json.Unmarshal(body, &env) == nil && len(env.Errors) > 0 {
		code = env.Errors[0].Code
	}
	msg := fmt.Sprintf("auth/clerk: get user %q: status %d", subject, status)
	if code != "" {
		msg += " (" + code + ")"
	}
	if status == http.StatusNotFound {
		return fmt.Errorf("%s: %w", msg, auth.ErrNotFound)
	}
	return errors.New(msg)
}
