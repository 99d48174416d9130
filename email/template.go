package email

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"io/fs"
	"path"
	"slices"
	"strings"
	texttemplate "text/template"
)

//go:embed templates
var defaultTemplates embed.FS

// Names of the embedded default templates and the data each expects.
const (
	// TemplateWelcome greets a new user; data: [WelcomeData].
	TemplateWelcome = "welcome"
	// TemplatePasswordReset sends a reset link; data: [PasswordResetData].
	TemplatePasswordReset = "password_reset"
	// TemplateNotification carries a titled notice with an optional
	// action; data: [NotificationData].
	TemplateNotification = "notification"
)

// WelcomeData is the data of [TemplateWelcome].
type WelcomeData struct {
	Name     string // may be empty
	LoginURL string // may be empty
}

// PasswordResetData is the data of [TemplatePasswordReset].
type PasswordResetData struct {
	Name      string // may be empty
	ResetURL  string
	ExpiresIn string // human text such as "1 hour"
}

// NotificationData is the data of [TemplateNotification].
type NotificationData struct {
	Name       string // may be empty
	Title      string
	Body       string
	ActionURL  string // may be empty
	ActionText string // default text is used when empty
}

// Brand is what the layout shows around every message, available in
// templates as {{brand.Name}}, {{brand.URL}} and {{brand.Footer}}.
type Brand struct {
	// Name of the product. Default: "OmniStack".
	Name string
	// URL of the product, linked from the header. Default: none.
	URL string
	// Footer is a line under every message, such as a postal address.
	// Default: none.
	Footer string
}

// RendererConfig configures a [Renderer]. The zero value renders the
// embedded defaults.
type RendererConfig struct {
	// FS holds templates that replace or add to the embedded ones, at its
	// root: layout.html and layout.txt (the shared layouts), and per
	// message <name>.html (defining "subject" and "content") and an
	// optional <name>.txt (defining "content" for the text part; without
	// it the text is derived from the HTML). A file here replaces the
	// default of the same name. Default: nil, the embedded set only.
	FS fs.FS
	// Brand fills the layout. Default: Name "OmniStack".
	Brand Brand
}

// Rendered is a rendered message: subject, HTML and text.
type Rendered struct {
	Subject string
	HTML    string
	Text    string
}

// Apply copies the subject and bodies onto msg.
func (r Rendered) Apply(msg *Message) {
	msg.Subject, msg.HTML, msg.Text = r.Subject, r.HTML, r.Text
}

// ErrUnknownTemplate is returned by [Renderer.Render] for a name it has
// no template for.
var ErrUnknownTemplate = errors.New("email: unknown template")

// Renderer renders named templates into a subject, an HTML body and a text
// body inside a shared layout. Every template is parsed by [NewRenderer];
// executing one with a variable missing from its data is an error, never
// an empty string. It is safe for concurrent use.
type Renderer struct {
	html  map[string]*htmltemplate.Template
	text  map[string]*texttemplate.Template // nil entry: derive from HTML
	names []string
}

// NewRenderer parses the embedded templates overlaid with cfg.FS.
func NewRenderer(cfg RendererConfig) (*Renderer, error) {
	if cfg.Brand.Name == "" {
		cfg.Brand.Name = "OmniStack"
	}
	brand := cfg.Brand
	defaults, err := fs.Sub(defaultTemplates, "templates")
	if err != nil {
		return nil, err
	}
	read := func(name string) ([]byte, bool, error) {
		if cfg.FS != nil {
			b, err := fs.ReadFile(cfg.FS, name)
			if err == nil {
				return b, true, nil
			}
			if !errors.Is(err, fs.ErrNotExist) {
				return nil, false, fmt.Errorf("email: read template %s: %w", name, err)
			}
		}
		b, err := fs.ReadFile(defaults, name)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, false, nil
		}
		if err != nil {
			return nil, false, fmt.Errorf("email: read template %s: %w", name, err)
		}
		return b, true, nil
	}
	names, err := templateNames(defaults, cfg.FS)
	if err != nil {
		return nil, err
	}
	funcs := map[string]any{"brand": func() Brand { return brand }}
	htmlLayout, _, err := read("layout.html")
	if err != nil {
		return nil, err
	}
	textLayout, hasTextLayout, err := read("layout.txt")
	if err != nil {
		return nil, err
	}
	if !hasTextLayout {
		textLayout = []byte(`{{template "content" .}}`)
	}
	baseHTML, err := htmltemplate.New("layout.html").Option("missingkey=error").Funcs(funcs).Parse(string(htmlLayout))
	if err != nil {
		return nil, fmt.Errorf("email: parse layout.html: %w", err)
	}
	baseText, err := texttemplate.New("layout.txt").Option("missingkey=error").Funcs(funcs).Parse(string(textLayout))
	if err != nil {
		return nil, fmt.Errorf("email: parse layout.txt: %w", err)
	}
	r := &Renderer{html: map[string]*htmltemplate.Template{}, text: map[string]*texttemplate.Template{}, names: names}
	for _, name := range names {
		src, _, err := read(name + ".html")
		if err != nil {
			return nil, err
		}
		h, err := htmltemplate.Must(baseHTML.Clone()).Parse(string(src))
		if err != nil {
			return nil, fmt.Errorf("email: parse %s.html: %w", name, err)
		}
		for _, block := range []string{"subject", "content"} {
			if h.Lookup(block) == nil {
				return nil, fmt.Errorf("email: %s.html does not define %q", name, block)
			}
		}
		r.html[name] = h
		src, ok, err := read(name + ".txt")
		if err != nil {
			return nil, err
		}
		if !ok {
			r.text[name] = nil
			continue
		}
		t, err := texttemplate.Must(baseText.Clone()).Parse(string(src))
		if err != nil {
			return nil, fmt.Errorf("email: parse %s.txt: %w", name, err)
		}
		if t.Lookup("content") == nil {
			return nil, fmt.Errorf("email: %s.txt does not define \"content\"", name)
		}
		r.text[name] = t
	}
	return r, nil
}

// templateNames lists the message templates (*.html except the layout)
// of both file systems, sorted.
func templateNames(fsyss ...fs.FS) ([]string, error) {
	var names []string
	for _, fsys := range fsyss {
		if fsys == nil {
			continue
		}
		matches, err := fs.Glob(fsys, "*.html")
		if err != nil {
			return nil, fmt.Errorf("email: list templates: %w", err)
		}
		for _, m := range matches {
			if n := strings.TrimSuffix(path.Base(m), ".html"); n != "layout" && !slices.Contains(names, n) {
				names = append(names, n)
			}
		}
	}
	slices.Sort(names)
	return names, nil
}

// Names returns the names of the templates the renderer knows, sorted.
func (r *Renderer) Names() []string { return slices.Clone(r.names) }

// Render executes template name with data. The subject is the "subject"
// block with white space collapsed; the HTML is the layout around the
// "content" block; the text is the text template's output or, without
// one, text derived from the HTML. A variable missing from data is an
// error.
func (r *Renderer) Render(name string, data any) (Rendered, error) {
	h, ok := r.html[name]
	if !ok {
		return Rendered{}, fmt.Errorf("%w: %q", ErrUnknownTemplate, name)
	}
	var subject, body bytes.Buffer
	if err := h.ExecuteTemplate(&subject, "subject", data); err != nil {
		return Rendered{}, fmt.Errorf("email: render %s subject: %w", name, err)
	}
	if err := h.ExecuteTemplate(&body, "layout.html", data); err != nil {
		return Rendered{}, fmt.Errorf("email: render %s html: %w", name, err)
	}
	out := Rendered{Subject: strings.Join(strings.Fields(unescapeHTML(subject.String())), " "), HTML: body.String()}
	if t := r.text[name]; t != nil {
		var text bytes.Buffer
		if err := t.ExecuteTemplate(&text, "layout.txt", data); err != nil {
			return Rendered{}, fmt.Errorf("email: render %s text: %w", name, err)
		}
		out.Text = tidyText(text.String())
	} else {
		out.Text = HTMLToText(out.HTML)
	}
	return out, nil
}
