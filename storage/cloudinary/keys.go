package cloudinary

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/omnistack/omnistack/storage"
)

// MaxPublicIDLen is the longest public ID Cloudinary accepts. A key whose
// public ID (folder and escapes included) is longer is refused with
// [storage.ErrInvalidKey].
const MaxPublicIDLen = 255

// Credentials are the account settings a CLOUDINARY_URL carries.
type Credentials struct {
	CloudName string
	APIKey    string
	APISecret string
	// SignatureAlgorithm is "sha1" or "sha256", from the URL's
	// signature_algorithm parameter. Default: "sha1".
	SignatureAlgorithm string
}

// ParseURL reads Cloudinary's own connection string,
// cloudinary://<api_key>:<api_secret>@<cloud_name>, optionally with
// ?signature_algorithm=sha256. Other query parameters are refused rather
// than ignored. The error never contains the secret.
func ParseURL(raw string) (Credentials, error) {
	u, err := url.Parse(raw)
	if err != nil {
		// url.Error repeats the input, secret included.
		return Credentials{}, errors.New("storage/cloudinary: CLOUDINARY_URL is not a URL (cloudinary://key:secret@cloud)")
	}
	if u.Scheme != "cloudinary" {
		return Credentials{}, fmt.Errorf("storage/cloudinary: CLOUDINARY_URL scheme must be cloudinary, got %q", u.Scheme)
	}
	if u.User == nil {
		return Credentials{}, errors.New("storage/cloudinary: CLOUDINARY_URL has no key:secret@")
	}
	secret, _ := u.User.Password()
	c := Credentials{CloudName: u.Host, APIKey: u.User.Username(), APISecret: secret}
	if u.Path != "" && u.Path != "/" || u.Fragment != "" || u.Opaque != "" {
		return Credentials{}, errors.New("storage/cloudinary: CLOUDINARY_URL has a path or fragment")
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return Credentials{}, errors.New("storage/cloudinary: CLOUDINARY_URL has a malformed query")
	}
	for k := range q {
		if k != "signature_algorithm" {
			return Credentials{}, fmt.Errorf("storage/cloudinary: CLOUDINARY_URL parameter %q is not supported", k)
		}
	}
	c.SignatureAlgorithm = q.Get("signature_algorithm")
	if err := c.validate(); err != nil {
		return Credentials{}, err
	}
	return c, nil
}

func (c *Credentials) validate() error {
	if !validCloudName(c.CloudName) {
		return fmt.Errorf("storage/cloudinary: cloud name %q must be 2-128 letters, digits and '-', starting with a letter", c.CloudName)
	}
	if c.APIKey == "" {
		return errors.New("storage/cloudinary: API key is empty")
	}
	if c.APISecret == "" {
		return errors.New("storage/cloudinary: API secret is empty")
	}
	switch c.SignatureAlgorithm {
	case "":
		c.SignatureAlgorithm = "sha1"
	case "sha1", "sha256":
	default:
		return fmt.Errorf("storage/cloudinary: signature algorithm must be sha1 or sha256, got %q", c.SignatureAlgorithm)
	}
	return nil
}

// validCloudName follows Cloudinary's naming rules.
func validCloudName(s string) bool {
	if len(s) < 2 || len(s) > 128 || !isLetter(s[0]) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isLetter(s[i]) && !isDigit(s[i]) && s[i] != '-' {
			return false
		}
	}
	return true
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool  { return c >= '0' && c <= '9' }

const hexDigits = "0123456789ABCDEF"

// escapeKey maps any string (a key or a key prefix) onto the characters
// Cloudinary keeps unchanged in a public ID: ASCII letters, digits, '.',
// '-' and '/'. Every other byte becomes "_XX" (upper-case hex), '_'
// included, and so does a 'v' that opens a path segment (Cloudinary reads
// a folder named v<digits> as a version). The mapping works byte by byte
// and looks back at most one byte, so the escape of a prefix is a prefix
// of the escape of every key that starts with it: listing by prefix works
// on escaped IDs.
func escapeKey(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		segStart := i == 0 || s[i-1] == '/'
		switch {
		case c == 'v' && segStart:
		case isLetter(c) || isDigit(c) || c == '.' || c == '-' || c == '/':
			b.WriteByte(c)
			continue
		}
		b.WriteByte('_')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&0xF])
	}
	return b.String()
}

// unescapeKey reverses escapeKey. It refuses anything escapeKey cannot
// have produced, so a foreign public ID is never mistaken for a key.
func unescapeKey(s string) (string, error) {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '_' {
			if !(isLetter(c) || isDigit(c) || c == '.' || c == '-' || c == '/') || c == 'v' && (i == 0 || s[i-1] == '/') {
				return "", fmt.Errorf("storage/cloudinary: public ID %q: unescaped byte %q", s, c)
			}
			b.WriteByte(c)
			continue
		}
		if i+2 >= len(s) {
			return "", fmt.Errorf("storage/cloudinary: public ID %q: truncated escape", s)
		}
		hi, lo := strings.IndexByte(hexDigits, s[i+1]), strings.IndexByte(hexDigits, s[i+2])
		if hi < 0 || lo < 0 {
			return "", fmt.Errorf("storage/cloudinary: public ID %q: bad escape", s)
		}
		v := byte(hi<<4 | lo)
		segStart := i == 0 || s[i-1] == '/'
		if (isLetter(v) || isDigit(v) || v == '.' || v == '-' || v == '/') && !(v == 'v' && segStart) {
			return "", fmt.Errorf("storage/cloudinary: public ID %q: needless escape", s)
		}
		b.WriteByte(v)
		i += 2
	}
	return b.String(), nil
}

// publicID is the Cloudinary public ID of a valid key under folder.
func publicID(folder, key string) (string, error) {
	if err := storage.ValidateKey(key); err != nil {
		return "", err
	}
	id := folder + escapeKey(key)
	if len(id) > MaxPublicIDLen {
		return "", fmt.Errorf("%w: %q: its Cloudinary public ID would be %d bytes, over %d", storage.ErrInvalidKey, key, len(id), MaxPublicIDLen)
	}
	return id, nil
}

// keyOf is the key of a public ID listed under folder.
func keyOf(folder, id string) (string, error) {
	rest, ok := strings.CutPrefix(id, folder)
	if !ok {
		return "", fmt.Errorf("storage/cloudinary: public ID %q is outside folder %q", id, folder)
	}
	key, err := unescapeKey(rest)
	if err != nil {
		return "", err
	}
	if err := storage.ValidateKey(key); err != nil {
		return "", err
	}
	return key, nil
}

// contextValue escapes '=' and '|' in a context value, as Cloudinary's
// key=value|key=value syntax requires.
func contextValue(v string) string {
	return strings.NewReplacer(`=`, `\=`, `|`, `\|`).Replace(v)
}
