package email_test

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/email"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

func golden(t *testing.T, name string, got email.Rendered) {
	t.Helper()
	text := "Subject: " + got.Subject + "\n\n--- html\n" + got.HTML + "\n--- text\n" + got.Text
	path := filepath.Join("testdata", name+".golden")
	if *update {
		require.NoError(t, os.WriteFile(path, []byte(text), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test -update to create it")
	assert.Equal(t, string(want), text)
}

func TestRenderDefaults(t *testing.T) {
	t.Parallel()
	r, err := email.NewRenderer(email.RendererConfig{Brand: email.Brand{Name: "Acme & Co", URL: "https://acme.test", Footer: "1 Main St, Springfield"}})
	require.NoError(t, err)
	assert.Equal(t, []string{"notification", "password_reset", "welcome"}, r.Names())
	tests := []struct {
		golden string
		name   string
		data   any
	}{
		{"welcome", email.TemplateWelcome, email.WelcomeData{Name: "Ada <script>", LoginURL: "https://acme.test/login?a=1&b=2"}},
		{"welcome_anonymous", email.TemplateWelcome, map[string]any{"Name": "", "LoginURL": ""}},
		{"password_reset", email.TemplatePasswordReset, email.PasswordResetData{Name: "Ada", ResetURL: "https://acme.test/reset?token=abc", ExpiresIn: "1 hour"}},
		{"notification", email.TemplateNotification, email.NotificationData{Title: "Invoice \"42\" paid", Body: "Thanks! We received 10 € from you.", ActionURL: "https://acme.test/invoices/42"}},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			t.Parallel()
			out, err := r.Render(tt.name, tt.data)
			require.NoError(t, err)
			golden(t, tt.golden, out)
		})
	}
}

func TestRenderEscapes(t *testing.T) {
	t.Parallel()
	r, err := email.NewRenderer(email.RendererConfig{Brand: email.Brand{Name: "A&B"}})
	require.NoError(t, err)
	out, err := r.Render(email.TemplateNotification, email.NotificationData{Title: "<b>x</b> & y", Body: "<script>alert(1)</script>"})
	require.NoError(t, err)
	assert.Equal(t, "<b>x</b> & y", out.Subject, "the subject is plain text, not HTML")
	assert.NotContains(t, out.HTML, "<script>")
	assert.Contains(t, out.HTML, "&lt;script&gt;")
	assert.Contains(t, out.Text, "<script>alert(1)</script>", "the text part is not HTML-escaped")
}

func TestRenderMissingVariable(t *testing.T) {
	t.Parallel()
	r, err := email.NewRenderer(email.RendererConfig{})
	require.NoError(t, err)
	_, err = r.Render(email.TemplatePasswordReset, map[string]any{"Name": "Ada", "ResetURL": "https://x.test"})
	require.ErrorContains(t, err, "ExpiresIn")
	_, err = r.Render(email.TemplateWelcome, struct{ Name string }{"Ada"})
	require.ErrorContains(t, err, "LoginURL")
	_, err = r.Render("nope", nil)
	require.ErrorIs(t, err, email.ErrUnknownTemplate)
}

func TestRenderOverrides(t *testing.T) {
	t.Parallel()
	fsys := fstest.MapFS{
		"layout.html":  {Data: []byte(`<html><body>{{template "content" .}}<hr>{{brand.Name}}</body></html>`)},
		"welcome.html": {Data: []byte(`{{define "subject"}}Hey {{.Name}}{{end}}{{define "content"}}<p>Custom {{.Name}}</p>{{end}}`)},
		"invoice.html": {Data: []byte(`{{define "subject"}}Invoice {{.Number}}{{end}}{{define "content"}}<h1>Invoice {{.Number}}</h1><ul><li>One</li><li>Two</li></ul><p>See <a href="https://x.test/i/{{.Number}}">online</a>.</p>{{end}}`)},
	}
	r, err := email.NewRenderer(email.RendererConfig{FS: fsys})
	require.NoError(t, err)
	assert.Equal(t, []string{"invoice", "notification", "password_reset", "welcome"}, r.Names())

	out, err := r.Render(email.TemplateWelcome, email.WelcomeData{Name: "Ada"})
	require.NoError(t, err)
	assert.Equal(t, "Hey Ada", out.Subject)
	assert.Equal(t, "<html><body><p>Custom Ada</p><hr>OmniStack</body></html>", out.HTML)
	assert.Contains(t, out.Text, "Hi Ada,", "welcome.txt still comes from the defaults")

	out, err = r.Render("invoice", map[string]any{"Number": 42})
	require.NoError(t, err)
	assert.Equal(t, "Invoice 42", out.Subject)
	assert.Equal(t, "Invoice 42\n\n- One\n- Two\n\nSee online (https://x.test/i/42).\n\nOmniStack\n", out.Text, "derived from the HTML")
}

func TestRendererConfigErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		fsys fstest.MapFS
		want string
	}{
		{"BadSyntax", fstest.MapFS{"x.html": {Data: []byte(`{{define "subject"}}{{.A{{end}}`)}}, "parse x.html"},
		{"NoSubject", fstest.MapFS{"x.html": {Data: []byte(`{{define "content"}}x{{end}}`)}}, `does not define "subject"`},
		{"NoTextContent", fstest.MapFS{"x.html": {Data: []byte(`{{define "subject"}}s{{end}}{{define "content"}}c{{end}}`)},
			"x.txt": {Data: []byte(`plain`)}}, `x.txt does not define "content"`},
		{"BadLayout", fstest.MapFS{"layout.html": {Data: []byte(`{{if}}`)}}, "parse layout.html"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := email.NewRenderer(email.RendererConfig{FS: tt.fsys})
			require.ErrorContains(t, err, tt.want)
		})
	}
}
