package memory_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/email"
	"github.com/omnistack/omnistack/email/emailtest"
	"github.com/omnistack/omnistack/email/memory"
)

func TestConformance(t *testing.T) {
	t.Parallel()
	emailtest.Run(t, func(t *testing.T) emailtest.Harness {
		s, err := memory.New(memory.Config{})
		require.NoError(t, err)
		return emailtest.Harness{Sender: s, Delivered: func() []email.Message {
			var out []email.Message
			for _, m := range s.Messages() {
				out = append(out, m.Message)
			}
			return out
		}}
	})
}

func TestHelpers(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	s, err := memory.New(memory.Config{Now: func() time.Time { return now }})
	require.NoError(t, err)
	_, ok := s.Last()
	assert.False(t, ok)

	msg := email.Message{From: "app@example.com", To: []string{"Ada <Ada@Example.com>"}, Subject: "One", Text: "x"}
	res, err := s.Send(t.Context(), msg)
	require.NoError(t, err)
	assert.Equal(t, "mem-1", res.ID)
	msg.To[0] = "changed@example.com" // the capture is a copy
	msg.Subject = "Two"
	msg.To = []string{"bob@example.com"}
	_, err = s.Send(t.Context(), msg)
	require.NoError(t, err)

	got := s.To("ada@example.com")
	require.Len(t, got, 1)
	assert.Equal(t, "One", got[0].Message.Subject)
	assert.Equal(t, "Ada <Ada@Example.com>", got[0].Message.To[0])
	assert.Equal(t, now, got[0].At)
	last, ok := s.Last()
	require.True(t, ok)
	assert.Equal(t, "Two", last.Message.Subject)
	assert.Len(t, s.Find(func(m memory.Sent) bool { return m.Message.Subject == "Two" }), 1)
	s.Reset()
	assert.Empty(t, s.Messages())
}

func TestWait(t *testing.T) {
	t.Parallel()
	s, err := memory.New(memory.Config{})
	require.NoError(t, err)
	done := make(chan memory.Sent, 1)
	go func() {
		m, err := s.Wait(t.Context(), func(m memory.Sent) bool { return memory.Addressed(m.Message, "late@example.com") })
		assert.NoError(t, err)
		done <- m
	}()
	_, err = s.Send(t.Context(), email.Message{From: "a@example.com", To: []string{"other@example.com"}, Subject: "x", Text: "x"})
	require.NoError(t, err)
	_, err = s.Send(t.Context(), email.Message{From: "a@example.com", To: []string{"late@example.com"}, Subject: "y", Text: "y"})
	require.NoError(t, err)
	m := <-done
	assert.Equal(t, "y", m.Message.Subject)

	// A Wait that nothing satisfies returns when its context ends, with
	// the context's cause.
	stop := errors.New("test over")
	ctx, cancel := context.WithCancelCause(t.Context())
	waited := make(chan error, 1)
	go func() {
		_, err := s.Wait(ctx, func(memory.Sent) bool { return false })
		waited <- err
	}()
	cancel(stop)
	require.ErrorIs(t, <-waited, stop)
}
