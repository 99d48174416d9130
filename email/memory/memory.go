package memory

import (
	"context"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/omnistack/omnistack/email"
)

// Sent is a captured message.
type Sent struct {
	// ID is the message ID Send returned: "mem-1", "mem-2", ...
	ID      string
	Message email.Message
	// At is when the message was sent (Config.Now).
	At time.Time
}

// Config configures a [Sender]. The zero value is ready to use.
type Config struct {
	// Now reports the current time. Default: time.Now.
	Now func() time.Time
}

// Sender captures messages. It validates them as real providers do, and
// keeps a deep copy of each, so callers may reuse their slices. It is safe
// for concurrent use.
type Sender struct {
	now     func() time.Time
	mu      sync.Mutex
	sent    []Sent
	changed chan struct{} // closed and replaced on every send and reset
}

var _ email.Sender = (*Sender)(nil)

// New returns an empty Sender. Every Config is valid; the error is there
// for the options to come, as every provider's New has one.
func New(cfg Config) (*Sender, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Sender{now: cfg.Now, changed: make(chan struct{})}, nil
}

// Send validates msg and captures a copy of it.
func (s *Sender) Send(ctx context.Context, msg email.Message) (email.Result, error) {
	if err := ctx.Err(); err != nil {
		return email.Result{}, context.Cause(ctx)
	}
	if err := msg.Validate(); err != nil {
		return email.Result{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	id := "mem-" + strconv.Itoa(len(s.sent)+1)
	s.sent = append(s.sent, Sent{ID: id, Message: clone(msg), At: s.now()})
	close(s.changed)
	s.changed = make(chan struct{})
	return email.Result{ID: id}, nil
}

// Messages returns every captured message, oldest first.
func (s *Sender) Messages() []Sent {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.sent)
}

// Find returns the captured messages for which match is true, oldest
// first.
func (s *Sender) Find(match func(Sent) bool) []Sent {
	var out []Sent
	for _, m := range s.Messages() {
		if match(m) {
			out = append(out, m)
		}
	}
	return out
}

// To returns the messages with addr among their To, Cc or Bcc recipients
// (compared without display names, case-insensitively), oldest first.
func (s *Sender) To(addr string) []Sent {
	return s.Find(func(m Sent) bool { return Addressed(m.Message, addr) })
}

// Last returns the most recent message, false when there is none.
func (s *Sender) Last() (Sent, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.sent) == 0 {
		return Sent{}, false
	}
	return s.sent[len(s.sent)-1], true
}

// Wait blocks until a message for which match is true has been captured
// (including one captured before the call) and returns the first such
// message, or returns ctx's error.
func (s *Sender) Wait(ctx context.Context, match func(Sent) bool) (Sent, error) {
	for {
		s.mu.Lock()
		changed := s.changed
		for _, m := range s.sent {
			if match(m) {
				s.mu.Unlock()
				return m, nil
			}
		}
		s.mu.Unlock()
		select {
		case <-changed:
		case <-ctx.Done():
			return Sent{}, context.Cause(ctx)
		}
	}
}

// Reset forgets every captured message.
func (s *Sender) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sent = nil
	close(s.changed)
	s.changed = make(chan struct{})
}

// Addressed reports whether addr is among msg's To, Cc or Bcc recipients,
// comparing bare addresses case-insensitively.
func Addressed(msg email.Message, addr string) bool {
	want := bare(addr)
	for _, r := range msg.Recipients() {
		if bare(r) == want {
			return true
		}
	}
	return false
}

func bare(s string) string {
	if a, err := email.ParseAddress(s); err == nil {
		return strings.ToLower(a.Address)
	}
	return strings.ToLower(strings.TrimSpace(s))
}

// clone deep-copies the slices and maps of msg.
func clone(m email.Message) email.Message {
	m.To, m.Cc, m.Bcc = slices.Clone(m.To), slices.Clone(m.Cc), slices.Clone(m.Bcc)
	m.Headers = maps.Clone(m.Headers)
	m.Tags = slices.Clone(m.Tags)
	atts := make([]email.Attachment, len(m.Attachments))
	for i, a := range m.Attachments {
		a.Content = slices.Clone(a.Content)
		atts[i] = a
	}
	if m.Attachments != nil {
		m.Attachments = atts
	}
	return m
}
