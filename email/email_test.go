package email_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/email"
	"github.com/omnistack/omnistack/email/memory"
	"github.com/omnistack/omnistack/resilience"
)

func valid() email.Message {
	return email.Message{From: "App <app@example.com>", To: []string{"ada@example.com"}, Subject: "Hi", Text: "Hello"}
}

func TestValidateAccepts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		modify func(m *email.Message)
	}{
		{"Minimal", func(*email.Message) {}},
		{"HTMLOnly", func(m *email.Message) { m.Text, m.HTML = "", "<p>x</p>" }},
		{"UnicodeNames", func(m *email.Message) {
			m.From = "Zoë Müller <zoe@example.com>"
			m.To = []string{`"Doe, Jane" <jane@example.com>`}
		}},
		{"AngleOnly", func(m *email.Message) { m.To = []string{"<ada@example.com>"} }},
		{"IDNDomain", func(m *email.Message) { m.To = []string{"ada@bücher.example"} }},
		{"Localhost", func(m *email.Message) { m.To = []string{"root@localhost"} }},
		{"TabInSubject", func(m *email.Message) { m.Subject = "a\tb" }},
		{"UnicodeSubject", func(m *email.Message) { m.Subject = "Grüße 🎉" }},
		{"Headers", func(m *email.Message) {
			m.Headers = map[string]string{"List-Unsubscribe": "<https://x.test/u>", "X-Entity-Ref-ID": "1"}
		}},
		{"Tags", func(m *email.Message) { m.Tags = []email.Tag{{"a", "b"}, {"c_d", "e-f"}} }},
		{"InlineAttachment", func(m *email.Message) {
			m.Attachments = []email.Attachment{{Filename: "logo.png", ContentType: "image/png", Content: []byte{1}, ContentID: "logo@x"}}
		}},
		{"AttachmentsAtLimit", func(m *email.Message) {
			m.Attachments = []email.Attachment{{Filename: "a", Content: make([]byte, email.MaxAttachmentBytes/2)},
				{Filename: "b", Content: make([]byte, email.MaxAttachmentBytes/2)}}
		}},
		{"IdempotencyKey", func(m *email.Message) { m.IdempotencyKey = strings.Repeat("k", email.MaxIdempotencyKeyLen) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := valid()
			tt.modify(&m)
			require.NoError(t, m.Validate())
		})
	}
}

func TestValidateRefuses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		modify func(m *email.Message)
		field  string
	}{
		{"NoFrom", func(m *email.Message) { m.From = "" }, "from"},
		{"FromList", func(m *email.Message) { m.From = "a@example.com, b@example.com" }, "from"},
		{"FromGroup", func(m *email.Message) { m.From = "undisclosed-recipients:;" }, "from"},
		{"NoDomainDot", func(m *email.Message) { m.To = []string{"ada@example"} }, "to[0]"},
		{"NoTo", func(m *email.Message) { m.To = nil; m.Cc = []string{"a@example.com"} }, "to"},
		{"TooManyRecipients", func(m *email.Message) {
			for i := range email.MaxRecipients {
				m.Bcc = append(m.Bcc, fmt.Sprintf("u%d@example.com", i))
			}
		}, "to"},
		{"DuplicateAcrossLists", func(m *email.Message) { m.Bcc = []string{"Ada <ADA@example.com>"} }, "bcc[0]"},
		{"BadCc", func(m *email.Message) { m.Cc = []string{"x"} }, "cc[0]"},
		{"BadReplyTo", func(m *email.Message) { m.ReplyTo = "x" }, "reply_to"},
		{"CRLFInName", func(m *email.Message) { m.To = []string{"\"A\r\nBcc: e@example.com\" <a@example.com>"} }, "to[0]"},
		{"NULInSubject", func(m *email.Message) { m.Subject = "a\x00b" }, "subject"},
		{"LineSeparator", func(m *email.Message) { m.Subject = "a\u2028b" }, "subject"},
		{"LongSubject", func(m *email.Message) { m.Subject = strings.Repeat("s", email.MaxSubjectLen+1) }, "subject"},
		{"NoBody", func(m *email.Message) { m.Text = "" }, "html"},
		{"BadHTML", func(m *email.Message) { m.HTML = "\xc3" }, "html"},
		{"HeaderSpace", func(m *email.Message) { m.Headers = map[string]string{"X A": "1"} }, "headers[X A]"},
		{"HeaderColon", func(m *email.Message) { m.Headers = map[string]string{"X:A": "1"} }, "headers[X:A]"},
		{"HeaderReserved", func(m *email.Message) { m.Headers = map[string]string{"Content-Type": "text/html"} }, "headers[Content-Type]"},
		{"HeaderValueLF", func(m *email.Message) { m.Headers = map[string]string{"X-A": "1\nX-B: 2"} }, "headers[X-A]"},
		{"TagEmpty", func(m *email.Message) { m.Tags = []email.Tag{{"a", ""}} }, "tags[0]"},
		{"TagDuplicate", func(m *email.Message) { m.Tags = []email.Tag{{"a", "1"}, {"a", "2"}} }, "tags[1]"},
		{"AttachmentNoName", func(m *email.Message) { m.Attachments = []email.Attachment{{Content: []byte("x")}} }, "attachments[0].filename"},
		{"AttachmentQuote", func(m *email.Message) { m.Attachments = []email.Attachment{{Filename: `a".txt`}} }, "attachments[0].filename"},
		{"AttachmentTypeCRLF", func(m *email.Message) {
			m.Attachments = []email.Attachment{{Filename: "a", ContentType: "text/plain\r\nX: y"}}
		}, "attachments[0].content_type"},
		{"ContentIDBrackets", func(m *email.Message) { m.Attachments = []email.Attachment{{Filename: "a", ContentID: "<x>"}} }, "attachments[0].content_id"},
		{"AttachmentsTooLarge", func(m *email.Message) {
			m.Attachments = []email.Attachment{{Filename: "a", Content: make([]byte, email.MaxAttachmentBytes)}, {Filename: "b", Content: []byte{1}}}
		}, "attachments[1]"},
		{"LongIdempotencyKey", func(m *email.Message) { m.IdempotencyKey = strings.Repeat("k", email.MaxIdempotencyKeyLen+1) }, "idempotency_key"},
		{"IdempotencyKeyCRLF", func(m *email.Message) { m.IdempotencyKey = "a\r\nb" }, "idempotency_key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := valid()
			tt.modify(&m)
			err := m.Validate()
			require.ErrorIs(t, err, email.ErrInvalidMessage)
			fe, ok := errors.AsType[*email.FieldError](err)
			require.True(t, ok)
			assert.Equal(t, tt.field, fe.Field, err.Error())
		})
	}
}

func TestProviderError(t *testing.T) {
	t.Parallel()
	cause := errors.New("boom")
	err := fmt.Errorf("send: %w", &email.ProviderError{Provider: "resend", Kind: email.ErrRateLimited, Status: 429,
		Message: "slow down", Wait: 3 * time.Second, Err: cause})
	require.ErrorIs(t, err, email.ErrRateLimited)
	require.ErrorIs(t, err, cause)
	assert.NotErrorIs(t, err, email.ErrUnavailable)
	assert.True(t, email.IsTransient(err))
	assert.Equal(t, "send: email/resend: rate limited (429): slow down", err.Error())
	var ra resilience.RetryAfterer
	require.ErrorAs(t, err, &ra)
	assert.Equal(t, 3*time.Second, ra.RetryAfter())

	for _, kind := range []error{email.ErrRejected, email.ErrUnauthorized} {
		assert.False(t, email.IsTransient(&email.ProviderError{Provider: "x", Kind: kind}))
	}
	assert.True(t, email.IsTransient(&email.ProviderError{Provider: "x", Kind: email.ErrUnavailable, Err: cause}))
	assert.Equal(t, "email/x: unavailable: boom", (&email.ProviderError{Provider: "x", Kind: email.ErrUnavailable, Err: cause}).Error())
	assert.False(t, email.IsTransient(nil))
	assert.False(t, email.IsTransient(context.Canceled))
	bad := valid()
	bad.To = nil
	assert.False(t, email.IsTransient(bad.Validate()))
}

func TestParseRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		give   string
		want   time.Duration
		wantOK bool
	}{
		{"120", 2 * time.Minute, true},
		{"0", 0, true},
		{"Tue, 01 Dec 2026 10:00:30 GMT", 30 * time.Second, true},
		{"Tuesday, 01-Dec-26 10:01:00 GMT", time.Minute, true},
		{"Tue Dec  1 10:00:05 2026", 5 * time.Second, true},
		{"Mon, 30 Nov 2026 10:00:00 GMT", 0, true}, // in the past
		{"99999999999", 24 * time.Hour, true},
		{"Wed, 01 Dec 2027 10:00:00 GMT", 24 * time.Hour, true},
		{"", 0, false},
		{"-1", 0, false},
		{"1.5", 0, false},
		{"soon", 0, false},
	}
	for _, tt := range tests {
		got, ok := email.ParseRetryAfter(tt.give, now)
		assert.Equal(t, tt.wantOK, ok, tt.give)
		assert.Equal(t, tt.want, got, tt.give)
	}
}

func TestHTMLToText(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, give, want string
	}{
		{"Paragraphs", "<p>One</p><p>Two  words</p>", "One\n\nTwo words\n"},
		{"Breaks", "a<br>b<br/>c", "a\nb\nc\n"},
		{"Entities", "<p>Tom &amp; Jerry &lt;3 &eacute;&#233;</p>", "Tom & Jerry <3 éé\n"},
		{"Link", `<p>Go <a href="https://x.test/?a=1&amp;b=2">here</a> now.</p>`, "Go here (https://x.test/?a=1&b=2) now.\n"},
		{"LinkSameAsText", `<a href="https://x.test">https://x.test</a>`, "https://x.test\n"},
		{"Mailto", `<a href="mailto:a@x.test">a@x.test</a>`, "a@x.test\n"},
		{"Anchor", `<a href="#top">top</a>`, "top\n"},
		{"Lists", "<ul><li>a</li><li>b</li></ul>after", "- a\n- b\n\nafter\n"},
		{"HeadStyleScript", "<html><head><title>T</title><style>p{}</style></head><body><script>x()</script><p>body</p></body></html>", "body\n"},
		{"Comments", "a<!-- hidden -->b", "ab\n"},
		{"Table", "<table><tr><td>a</td><td>b</td></tr><tr><td>c</td></tr></table>", "a b\nc\n"},
		{"Broken", "<p>unterminated <b", "unterminated\n"},
		{"Whitespace", "  <div>\n  a \n b  </div>  ", "a b\n"},
		{"Empty", "", "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tt.want, email.HTMLToText(tt.give))
		})
	}
}

// batchMemory is a memory sender with a batch API, to watch SendBulk.
type batchMemory struct {
	*memory.Sender
	limit    int
	batches  atomic.Int32
	inFlight atomic.Int32
	peak     atomic.Int32
	fail     func(msgs []email.Message) error
}

func (b *batchMemory) BatchLimit() int { return b.limit }

func (b *batchMemory) SendBatch(ctx context.Context, msgs []email.Message) ([]email.BulkResult, error) {
	n := b.inFlight.Add(1)
	defer b.inFlight.Add(-1)
	for p := b.peak.Load(); n > p && !b.peak.CompareAndSwap(p, n); p = b.peak.Load() {
	}
	b.batches.Add(1)
	if b.fail != nil {
		if err := b.fail(msgs); err != nil {
			return nil, err
		}
	}
	out := make([]email.BulkResult, len(msgs))
	for i, m := range msgs {
		out[i].Result, out[i].Err = b.Send(ctx, m)
	}
	return out, nil
}

func recipients(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("user%d@example.com", i)
	}
	return out
}

func TestSendBulkBatches(t *testing.T) {
	t.Parallel()
	s := &batchMemory{Sender: newMemory(t), limit: 10}
	s.fail = func(msgs []email.Message) error {
		if memory.Addressed(msgs[0], "user13@example.com") {
			return &email.ProviderError{Provider: "fake", Kind: email.ErrUnavailable}
		}
		return nil
	}
	msgs := email.ToEach(valid(), recipients(45))
	msgs[3].Attachments = []email.Attachment{{Filename: "a.txt", Content: []byte("a")}}
	msgs[4].IdempotencyKey = "k"
	msgs[5].To = []string{"bad"}
	res := email.SendBulk(t.Context(), s, msgs, email.BulkConfig{Concurrency: 2})
	require.Len(t, res, 45)
	// 42 batchable messages (0-2, 6-44) in batches of 10; the second
	// (13-22) fails as a whole.
	assert.EqualValues(t, 5, s.batches.Load())
	assert.LessOrEqual(t, s.peak.Load(), int32(2))
	for i, r := range res {
		switch {
		case i == 5:
			assert.ErrorIs(t, r.Err, email.ErrInvalidMessage)
		case i >= 13 && i <= 22:
			assert.ErrorIs(t, r.Err, email.ErrUnavailable, "message %d", i)
		default:
			assert.NoError(t, r.Err, "message %d", i)
			assert.NotEmpty(t, r.ID)
		}
	}
	assert.Len(t, s.Messages(), 34)
}

func TestSendBulkConcurrencyAndCancel(t *testing.T) {
	t.Parallel()
	var inFlight, peak atomic.Int32
	release := make(chan struct{})
	entered := make(chan struct{}, 20)
	blocking := senderFunc(func(ctx context.Context, m email.Message) (email.Result, error) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
		entered <- struct{}{}
		select {
		case <-release:
			return email.Result{ID: m.To[0]}, nil
		case <-ctx.Done():
			return email.Result{}, ctx.Err()
		}
	})
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	var res []email.BulkResult
	wg.Go(func() {
		res = email.SendBulk(ctx, blocking, email.ToEach(valid(), recipients(20)), email.BulkConfig{Concurrency: 3})
	})
	for range 3 {
		<-entered
	}
	release <- struct{}{}
	cancel()
	wg.Wait()
	assert.EqualValues(t, 3, peak.Load())
	var sent, cancelled int
	for _, r := range res {
		if r.Err == nil {
			sent++
		} else {
			require.ErrorIs(t, r.Err, context.Canceled)
			cancelled++
		}
	}
	assert.Equal(t, 1, sent)
	assert.Equal(t, 19, cancelled)
}

type senderFunc func(ctx context.Context, m email.Message) (email.Result, error)

func (f senderFunc) Send(ctx context.Context, m email.Message) (email.Result, error) {
	return f(ctx, m)
}

func TestResilientRetriesTransient(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		var calls []time.Time
		var keys []string
		start := time.Now()
		flaky := senderFunc(func(ctx context.Context, m email.Message) (email.Result, error) {
			calls = append(calls, time.Now())
			keys = append(keys, m.IdempotencyKey)
			switch len(calls) {
			case 1:
				return email.Result{}, &email.ProviderError{Provider: "fake", Kind: email.ErrRateLimited, Status: 429, Wait: 5 * time.Second}
			case 2:
				return email.Result{}, &email.ProviderError{Provider: "fake", Kind: email.ErrUnavailable, Status: 503}
			}
			return email.Result{ID: "ok"}, nil
		})
		r, err := email.NewResilient(flaky, email.ResilientConfig{})
		require.NoError(t, err)
		res, err := r.Send(t.Context(), valid())
		require.NoError(t, err)
		assert.Equal(t, "ok", res.ID)
		require.Len(t, calls, 3)
		assert.GreaterOrEqual(t, calls[1].Sub(start), 5*time.Second, "Retry-After honoured")
		assert.NotEmpty(t, keys[0])
		assert.Equal(t, []string{keys[0], keys[0], keys[0]}, keys, "one idempotency key across retries")
	})
}

func TestResilientDoesNotRetryPermanent(t *testing.T) {
	t.Parallel()
	for _, kind := range []error{email.ErrRejected, email.ErrUnauthorized} {
		var calls int
		s := senderFunc(func(context.Context, email.Message) (email.Result, error) {
			calls++
			return email.Result{}, &email.ProviderError{Provider: "fake", Kind: kind}
		})
		r, err := email.NewResilient(s, email.ResilientConfig{Breaker: resilience.BreakerConfig{ConsecutiveFailures: 1}})
		require.NoError(t, err)
		for range 3 {
			_, err = r.Send(t.Context(), valid())
			require.ErrorIs(t, err, kind)
		}
		assert.Equal(t, 3, calls, "no retries, and the breaker stays closed")
		assert.Equal(t, resilience.StateClosed, r.Breaker().State())
	}
	m := valid()
	m.To = nil
	r, err := email.NewResilient(senderFunc(func(context.Context, email.Message) (email.Result, error) {
		t.Fatal("invalid messages must not reach the provider")
		return email.Result{}, nil
	}), email.ResilientConfig{})
	require.NoError(t, err)
	_, err = r.Send(t.Context(), m)
	require.ErrorIs(t, err, email.ErrInvalidMessage)
}

func TestResilientBreakerOpens(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		var calls int
		down := true
		s := senderFunc(func(context.Context, email.Message) (email.Result, error) {
			calls++
			if down {
				return email.Result{}, &email.ProviderError{Provider: "fake", Kind: email.ErrUnavailable, Status: 500}
			}
			return email.Result{ID: "up"}, nil
		})
		r, err := email.NewResilient(s, email.ResilientConfig{
			Retry:   resilience.RetryConfig{MaxAttempts: 2},
			Breaker: resilience.BreakerConfig{ConsecutiveFailures: 4, OpenTimeout: time.Minute},
		})
		require.NoError(t, err)
		for range 2 {
			_, err = r.Send(t.Context(), valid())
			require.ErrorIs(t, err, email.ErrUnavailable)
		}
		assert.Equal(t, 4, calls)
		_, err = r.Send(t.Context(), valid())
		require.ErrorIs(t, err, resilience.ErrOpen)
		assert.Equal(t, 4, calls, "an open breaker fails fast")
		time.Sleep(time.Minute + time.Second)
		down = false
		res, err := r.Send(t.Context(), valid())
		require.NoError(t, err)
		assert.Equal(t, "up", res.ID)
		assert.Equal(t, resilience.StateClosed, r.Breaker().State())
	})
}

func TestResilientBulkUsesBatch(t *testing.T) {
	t.Parallel()
	b := &batchMemory{Sender: newMemory(t), limit: 50}
	r, err := email.NewResilient(b, email.ResilientConfig{})
	require.NoError(t, err)
	res := email.SendBulk(t.Context(), r, email.ToEach(valid(), recipients(120)), email.BulkConfig{})
	for _, x := range res {
		require.NoError(t, x.Err)
	}
	assert.EqualValues(t, 3, b.batches.Load())

	plain, err := email.NewResilient(newMemory(t), email.ResilientConfig{DisableBreaker: true})
	require.NoError(t, err)
	assert.Nil(t, plain.Breaker())
	assert.Equal(t, 0, plain.BatchLimit())
	out, err := plain.SendBatch(t.Context(), email.ToEach(valid(), recipients(2)))
	require.NoError(t, err)
	require.Len(t, out, 2)
	assert.NoError(t, out[1].Err)

	_, err = email.NewResilient(nil, email.ResilientConfig{})
	require.Error(t, err)
	_, err = email.NewResilient(b, email.ResilientConfig{Retry: resilience.RetryConfig{MaxAttempts: -1}})
	require.ErrorContains(t, err, "MaxAttempts")
}

func newMemory(t *testing.T) *memory.Sender {
	t.Helper()
	s, err := memory.New(memory.Config{})
	require.NoError(t, err)
	return s
}
