package resend

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	resendsdk "github.com/resend/resend-go/v3"

	"github.com/omnistack/omnistack/email"
	"github.com/omnistack/omnistack/email/internal/wire"
)

// DefaultBaseURL is the Resend API.
const DefaultBaseURL = "https://api.resend.com/"

// Resend's limits.
const (
	MaxTo    = 50
	MaxBatch = 100
)

// Config configures a [Sender]. The zero value is ready to use.
type Config struct {
	// BaseURL is the API root. Default: [DefaultBaseURL]. Tests and
	// proxies point it elsewhere.
	BaseURL string
	// HTTPClient sends the requests; its Transport is wrapped, the client
	// itself is not modified. Default: a client with a 30s timeout.
	HTTPClient *http.Client
	// Now reports the current time, for Retry-After dates. Default:
	// time.Now.
	Now func() time.Time
}

// Sender sends through Resend. It is safe for concurrent use.
type Sender struct {
	client *resendsdk.Client
	now    func() time.Time
}

var (
	_ email.Sender      = (*Sender)(nil)
	_ email.BatchSender = (*Sender)(nil)
)

// New returns a Sender using apiKey ("re_...").
func New(apiKey string, cfg Config) (*Sender, error) {
	if strings.TrimSpace(apiKey) == "" {
		return nil, errors.New("email/resend: New: empty API key")
	}
	base := cfg.BaseURL
	if base == "" {
		base = DefaultBaseURL
	}
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("email/resend: Config.BaseURL must be an absolute http(s) URL, got %q", base)
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/" // the SDK resolves "emails" against it
	}
	hc := &http.Client{Timeout: 30 * time.Second}
	if cfg.HTTPClient != nil {
		c := *cfg.HTTPClient
		hc = &c
	}
	hc.Transport = &capture{next: hc.Transport}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	client := resendsdk.NewCustomClient(hc, strings.TrimSpace(apiKey))
	client.BaseURL = u
	return &Sender{client: client, now: cfg.Now}, nil
}

// Send sends msg through POST /emails.
func (s *Sender) Send(ctx context.Context, msg email.Message) (email.Result, error) {
	req, err := request(msg)
	if err != nil {
		return email.Result{}, err
	}
	ctx, rec := record(ctx)
	resp, err := s.client.Emails.SendWithOptions(ctx, req, &resendsdk.SendEmailOptions{IdempotencyKey: msg.IdempotencyKey})
	if err != nil {
		return email.Result{}, s.classify(ctx, rec, err)
	}
	if resp.Id == "" {
		return email.Result{}, &email.ProviderError{Provider: "resend", Kind: email.ErrUnavailable, Status: rec.status, Message: "response carries no id"}
	}
	return email.Result{ID: resp.Id}, nil
}

// BatchLimit is [MaxBatch].
func (s *Sender) BatchLimit() int { return MaxBatch }

// SendBatch sends up to [MaxBatch] messages without attachments through
// POST /emails/batch in permissive mode: messages Resend refuses get
// their own [email.ErrRejected] error, the others are sent.
func (s *Sender) SendBatch(ctx context.Context, msgs []email.Message) ([]email.BulkResult, error) {
	if len(msgs) > MaxBatch {
		return nil, &email.FieldError{Field: "batch", Reason: fmt.Sprintf("holds %d messages, Resend takes at most %d", len(msgs), MaxBatch)}
	}
	out := make([]email.BulkResult, len(msgs))
	reqs := make([]*resendsdk.SendEmailRequest, 0, len(msgs))
	index := make([]int, 0, len(msgs)) // position in msgs of each request
	for i, m := range msgs {
		if len(m.Attachments) > 0 {
			out[i].Err = &email.FieldError{Field: "attachments", Reason: "are not accepted by Resend's batch API"}
			continue
		}
		req, err := request(m)
		if err != nil {
			out[i].Err = err
			continue
		}
		reqs = append(reqs, req)
		index = append(index, i)
	}
	if len(reqs) == 0 {
		return out, nil
	}
	ctx, rec := record(ctx)
	resp, err := s.client.Batch.SendWithOptions(ctx, reqs, &resendsdk.BatchSendEmailOptions{BatchValidation: resendsdk.BatchValidationPermissive})
	if err != nil {
		return nil, s.classify(ctx, rec, err)
	}
	failed := make(map[int]string, len(resp.Errors))
	for _, e := range resp.Errors {
		failed[e.Index] = e.Message
	}
	next := 0 // data holds the IDs of the accepted messages, in order
	for k, i := range index {
		if m, ok := failed[k]; ok {
			out[i].Err = &email.ProviderError{Provider: "resend", Kind: email.ErrRejected, Status: rec.status, Message: wire.Clip(m)}
			continue
		}
		if next < len(resp.Data) && resp.Data[next].Id != "" {
			out[i].ID = resp.Data[next].Id
		} else {
			out[i].Err = &email.ProviderError{Provider: "resend", Kind: email.ErrUnavailable, Status: rec.status, Message: "batch response carries no id for this message"}
		}
		next++
	}
	return out, nil
}

// request validates msg and turns it into the SDK's request.
func request(msg email.Message) (*resendsdk.SendEmailRequest, error) {
	if err := msg.Validate(); err != nil {
		return nil, err
	}
	if len(msg.To) > MaxTo {
		return nil, &email.FieldError{Field: "to", Reason: fmt.Sprintf("holds %d addresses, Resend takes at most %d", len(msg.To), MaxTo)}
	}
	req := &resendsdk.SendEmailRequest{
		From: msg.From, To: msg.To, Cc: msg.Cc, Bcc: msg.Bcc, ReplyTo: msg.ReplyTo,
		Subject: msg.Subject, Html: msg.HTML, Text: msg.Text, Headers: msg.Headers,
	}
	for _, t := range msg.Tags {
		req.Tags = append(req.Tags, resendsdk.Tag{Name: t.Name, Value: t.Value})
	}
	for _, a := range msg.Attachments {
		req.Attachments = append(req.Attachments, &resendsdk.Attachment{
			Filename: a.Filename, Content: a.Content, ContentType: a.ContentType, ContentId: a.ContentID,
		})
	}
	return req, nil
}

// apiError is Resend's error body.
type apiError struct {
	StatusCode int    `json:"statusCode"`
	Name       string `json:"name"`
	Message    string `json:"message"`
}

// classify turns an SDK error into an email error using the recorded
// response, which the SDK's errors do not carry.
func (s *Sender) classify(ctx context.Context, rec *recording, err error) error {
	if rec.status == 0 {
		return wire.Transport(ctx, "resend", err)
	}
	var body apiError
	_ = json.Unmarshal(rec.body.Bytes(), &body)
	msg := body.Message
	if msg == "" {
		msg = strings.TrimPrefix(err.Error(), "[ERROR]: ")
	}
	if rec.status/100 == 2 { // a success the SDK could not decode
		return &email.ProviderError{Provider: "resend", Kind: email.ErrUnavailable, Status: rec.status, Message: "unreadable response", Err: err}
	}
	return wire.Status("resend", rec.status, rec.header, body.Name, msg, s.now(), err)
}

// recording is what capture saw of one response.
type recording struct {
	status int
	header http.Header
	body   bytes.Buffer // the first wire.MaxErrorBody bytes of an error body
}

type recordingKey struct{}

func record(ctx context.Context) (context.Context, *recording) {
	rec := &recording{}
	return context.WithValue(ctx, recordingKey{}, rec), rec
}

// capture records the status, headers and error body of responses whose
// request context carries a *recording.
type capture struct{ next http.RoundTripper }

func (c *capture) RoundTrip(req *http.Request) (*http.Response, error) {
	next := c.next
	if next == nil {
		next = http.DefaultTransport
	}
	resp, err := next.RoundTrip(req)
	rec, ok := req.Context().Value(recordingKey{}).(*recording)
	if err != nil || !ok {
		return resp, err
	}
	rec.status, rec.header = resp.StatusCode, resp.Header
	if resp.StatusCode/100 != 2 {
		resp.Body = struct {
			io.Reader
			io.Closer
		}{io.TeeReader(resp.Body, &limitedWriter{w: &rec.body, n: wire.MaxErrorBody}), resp.Body}
	}
	return resp, nil
}

type limitedWriter struct {
	w io.Writer
	n int
}

func (l *limitedWriter) Write(p []byte) (int, error) {
	if l.n > 0 {
		k := min(len(p), l.n)
		_, _ = l.w.Write(p[:k])
		l.n -= k
	}
	return len(p), nil
}
