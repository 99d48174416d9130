package storage

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// MaxKeyLen is the longest object key in bytes (S3's limit).
const MaxKeyLen = 1024

// ValidateKey reports whether key is a safe object key, returning an error
// wrapping [ErrInvalidKey] that says why not. A safe key is non-empty UTF-8
// of at most [MaxKeyLen] bytes in Unicode normal form C, made of '/'
// separated segments that are neither empty, "." nor "..", with no
// backslash, no control or format character (NUL, bidi overrides,
// zero-width joiners...), no private-use or unassigned code point and no
// look-alike of a slash. Such a key means the same object on every
// provider and can never name a path outside a local provider's root.
func ValidateKey(key string) error {
	if key == "" {
		return invalidKey(key, "empty")
	}
	if len(key) > MaxKeyLen {
		return invalidKey(key, fmt.Sprintf("longer than %d bytes", MaxKeyLen))
	}
	if !utf8.ValidString(key) {
		return invalidKey(key, "not valid UTF-8")
	}
	for _, r := range key {
		if why := badRune(r); why != "" {
			return invalidKey(key, why)
		}
	}
	if !norm.NFC.IsNormalString(key) {
		return invalidKey(key, "not in Unicode normal form C")
	}
	for seg := range strings.SplitSeq(key, "/") {
		switch seg {
		case "":
			return invalidKey(key, "empty path segment (leading, trailing or double slash)")
		case ".", "..":
			return invalidKey(key, "relative path segment")
		}
		if strings.TrimRight(seg, ". ") == "" {
			return invalidKey(key, "segment of only dots and spaces")
		}
	}
	return nil
}

// badRune says why r may not appear in a key, or "" when it may.
func badRune(r rune) string {
	if r < utf8.RuneSelf { // ASCII: only controls and the backslash are out
		switch {
		case r == '\\':
			return "backslash"
		case r < 0x20 || r == 0x7f:
			return "control character"
		}
		return ""
	}
	switch {
	case r == '\\':
		return "backslash"
	case r == utf8.RuneError:
		return "replacement character"
	case unicode.IsControl(r):
		return "control character"
	case unicode.Is(unicode.Cf, r), unicode.Is(unicode.Zl, r), unicode.Is(unicode.Zp, r):
		return "invisible formatting character"
	case unicode.Is(unicode.Co, r), unicode.Is(unicode.Cs, r), r > unicode.MaxRune:
		return "private-use or surrogate code point"
	case !unicode.IsGraphic(r):
		return "unassigned or non-graphic code point"
	case isSlashLike(r):
		return "slash look-alike"
	}
	return ""
}

// isSlashLike reports characters that render as '/' or '\'.
func isSlashLike(r rune) bool {
	switch r {
	case '\u2044', '\u2215', '\u29F8', '\u29F9', '\uFF0F', '\uFF3C', '\u2216', '\uFE68', '\u3033', '\u30CE':
		return true
	}
	return false
}

func invalidKey(key, why string) error {
	if len(key) > 64 {
		key = key[:64] + "…"
	}
	return fmt.Errorf("%w %q: %s", ErrInvalidKey, key, why)
}

// Key joins segments into an object key and validates the result: the one
// way keys are built. Each segment must itself be free of '/', so a
// user-supplied value can never add a level; use [SanitizeFilename] for
// names that come from clients.
func Key(segments ...string) (string, error) {
	for _, s := range segments {
		if strings.Contains(s, "/") {
			return "", invalidKey(s, "segment contains a slash")
		}
	}
	k := strings.Join(segments, "/")
	if err := ValidateKey(k); err != nil {
		return "", err
	}
	return k, nil
}

// maxFilenameRunes bounds a sanitised file name.
const maxFilenameRunes = 120

// SanitizeFilename turns a client-supplied file name into one safe as a
// key segment and as a download name: the last path element (either slash),
// NFC, letters, digits, marks, '.', '-', '_' and spaces kept, everything
// else replaced by '_', runs of '_' and spaces collapsed, no leading dots or
// spaces, at most 120 characters with the extension kept. It never returns
// an empty string ("file" instead).
func SanitizeFilename(name string) string {
	name = strings.ToValidUTF8(name, "")
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = norm.NFC.String(name)
	var b strings.Builder
	b.Grow(len(name))
	last := rune(0)
	for _, r := range name {
		switch {
		case r == '.' || r == '-':
		case r == ' ' || r == '_':
		case (unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)) && badRune(r) == "":
		default:
			r = '_'
		}
		if (r == '_' || r == ' ') && (last == '_' || last == ' ') {
			continue
		}
		b.WriteRune(r)
		last = r
	}
	out := strings.TrimLeft(b.String(), ". _")
	out = strings.TrimRight(out, ". ")
	if rs := []rune(out); len(rs) > maxFilenameRunes {
		ext := ""
		if i := strings.LastIndexByte(out, '.'); i > 0 && utf8.RuneCountInString(out[i:]) <= 16 {
			ext = out[i:]
		}
		keep := maxFilenameRunes - utf8.RuneCountInString(ext)
		out = strings.TrimRight(string(rs[:keep]), ". ") + ext
	}
	// Normalisation after edits keeps the result NFC (dropping characters can
	// bring combining marks next to new bases).
	out = norm.NFC.String(out)
	if out == "" || ValidateKey(out) != nil {
		return "file"
	}
	return out
}
