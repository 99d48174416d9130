package email

import (
	"html"
	"strings"
)

// HTMLToText derives a plain-text body from HTML: it drops head, style and
// script content, turns block elements into line breaks and list items into
// "- " lines, writes links as "text (url)", collapses white space and
// decodes entities. It handles the HTML e-mail templates produce, not
// arbitrary broken markup, and never panics.
func HTMLToText(s string) string {
	var b strings.Builder
	var link []string // hrefs of open <a> elements
	var linkText []int
	skip := "" // element whose content is dropped until its end tag
	space := false
	for len(s) > 0 {
		lt := strings.IndexByte(s, '<')
		if lt < 0 {
			lt = len(s)
		}
		if text := s[:lt]; text != "" && skip == "" {
			t := html.UnescapeString(text)
			space = space || startsWithSpace(t)
			for _, f := range strings.FieldsFunc(t, isHTMLSpace) {
				if space {
					writeSpace(&b)
				}
				b.WriteString(f)
				space = true
			}
			space = strings.TrimRightFunc(t, isHTMLSpace) != t
		}
		s = s[lt:]
		if s == "" {
			break
		}
		if strings.HasPrefix(s, "<!--") {
			end := strings.Index(s, "-->")
			if end < 0 {
				break
			}
			s = s[end+3:]
			continue
		}
		gt := strings.IndexByte(s, '>')
		if gt < 0 {
			break
		}
		tag := s[1:gt]
		s = s[gt+1:]
		closing := strings.HasPrefix(tag, "/")
		name, attrs := tagName(strings.TrimPrefix(tag, "/"))
		if skip != "" {
			if closing && name == skip {
				skip = ""
			}
			continue
		}
		switch name {
		case "head", "style", "script", "title":
			if !closing {
				skip = name
			}
		case "br":
			newline(&b, 1)
			space = false
		case "p", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol", "blockquote", "hr":
			newline(&b, 2)
			space = false
		case "div", "tr", "section", "header", "footer", "article", "center":
			newline(&b, 1)
			space = false
		case "li":
			if !closing {
				newline(&b, 1)
				b.WriteString("- ")
				space = false
			}
		case "td", "th":
			if !closing {
				space = true
			}
		case "a":
			if !closing {
				link = append(link, attr(attrs, "href"))
				linkText = append(linkText, b.Len())
				continue
			}
			if n := len(link); n > 0 {
				href, start := link[n-1], linkText[n-1]
				link, linkText = link[:n-1], linkText[:n-1]
				text := strings.TrimSpace(b.String()[min(start, b.Len()):])
				if href != "" && !strings.HasPrefix(href, "#") && href != text && "mailto:"+text != href {
					if text != "" {
						b.WriteString(" ")
					}
					b.WriteString("(" + href + ")")
					space = false
				}
			}
		}
	}
	return tidyText(b.String())
}

func isHTMLSpace(r rune) bool {
	return r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\f' || r == '\u00a0'
}

func startsWithSpace(s string) bool { return strings.TrimLeftFunc(s, isHTMLSpace) != s }

// writeSpace adds one space unless the output is empty or ends a line.
func writeSpace(b *strings.Builder) {
	s := b.String()
	if s != "" && !strings.HasSuffix(s, "\n") && !strings.HasSuffix(s, " ") {
		b.WriteByte(' ')
	}
}

// newline ends the current line and, with n == 2, leaves a blank line.
func newline(b *strings.Builder, n int) {
	s := b.String()
	if s == "" {
		return
	}
	have := len(s) - len(strings.TrimRight(s, "\n"))
	for ; have < n; have++ {
		b.WriteByte('\n')
	}
}

// tagName splits "a href=..." into "a" and the attribute text.
func tagName(tag string) (string, string) {
	tag = strings.TrimSuffix(strings.TrimSpace(tag), "/")
	i := strings.IndexAny(tag, " \t\n\r/")
	if i < 0 {
		return strings.ToLower(tag), ""
	}
	return strings.ToLower(tag[:i]), tag[i:]
}

// attr returns the value of attribute name in a tag's attribute text.
func attr(attrs, name string) string {
	lower := strings.ToLower(attrs)
	for from := 0; ; {
		i := strings.Index(lower[from:], name)
		if i < 0 {
			return ""
		}
		i += from
		from = i + len(name)
		if i > 0 && !isHTMLSpace(rune(lower[i-1])) {
			continue
		}
		rest := strings.TrimLeft(attrs[from:], " \t\n\r")
		if !strings.HasPrefix(rest, "=") {
			continue
		}
		rest = strings.TrimLeft(rest[1:], " \t\n\r")
		if rest == "" {
			return ""
		}
		if q := rest[0]; q == '"' || q == '\'' {
			end := strings.IndexByte(rest[1:], q)
			if end < 0 {
				return html.UnescapeString(rest[1:])
			}
			return html.UnescapeString(rest[1 : end+1])
		}
		end := strings.IndexAny(rest, " \t\n\r>")
		if end < 0 {
			end = len(rest)
		}
		return html.UnescapeString(rest[:end])
	}
}

// unescapeHTML decodes entities html/template wrote into a subject.
func unescapeHTML(s string) string { return html.UnescapeString(s) }

// tidyText trims trailing spaces on each line, keeps at most one blank
// line in a row and trims the whole text.
func tidyText(s string) string {
	lines := strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
	out := lines[:0]
	blank := 0
	for _, l := range lines {
		l = strings.TrimRight(l, " \t")
		if l == "" {
			blank++
			if blank > 1 {
				continue
			}
		} else {
			blank = 0
		}
		out = append(out, l)
	}
	return strings.TrimSpace(strings.Join(out, "\n")) + "\n"
}
