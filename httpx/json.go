package httpx

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"unicode/utf8"
)

// DefaultMaxBodyBytes is the body limit of [DecodeJSON] unless
// [WithMaxBytes] says otherwise.
const DefaultMaxBodyBytes = 1 << 20

// Validator is implemented by request bodies that check themselves.
// [DecodeJSON] calls Validate after decoding; a [FieldErrors] result becomes
// 422 VALIDATION_ERROR listing each field, any other error is returned as is.
type Validator interface {
	Validate() error
}

// FieldError is one validation problem, named by its JSON field.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// FieldErrors collects validation problems. The zero value is ready; Err
// returns nil while it is empty, so a Validate method reads:
//
//	func (in createProject) Validate() error {
//		var errs httpx.FieldErrors
//		errs.Check(in.Name != "", "name", "is required")
//		errs.Check(httpx.MaxLen(in.Name, 100), "name", "must be at most 100 characters")
//		return errs.Err()
//	}
type FieldErrors []FieldError

// Add records a problem with field.
func (fe *FieldErrors) Add(field, message string) {
	*fe = append(*fe, FieldError{Field: field, Message: message})
}

// Check records a problem with field unless ok. It records at most one
// problem per field, so later checks of a failed field are skipped.
func (fe *FieldErrors) Check(ok bool, field, message string) {
	if ok || fe.Has(field) {
		return
	}
	fe.Add(field, message)
}

// Has reports whether field already has a problem.
func (fe FieldErrors) Has(field string) bool {
	for _, e := range fe {
		if e.Field == field {
			return true
		}
	}
	return false
}

// Err returns fe as an error, or nil when there are no problems.
func (fe FieldErrors) Err() error {
	if len(fe) == 0 {
		return nil
	}
	return fe
}

// Error lists the problems.
func (fe FieldErrors) Error() string {
	parts := make([]string, len(fe))
	for i, e := range fe {
		parts[i] = e.Field + ": " + e.Message
	}
	return "validation failed: " + strings.Join(parts, "; ")
}

// MaxLen reports whether s has at most n characters (runes, not bytes).
func MaxLen(s string, n int) bool { return utf8.RuneCountInString(s) <= n }

// LenBetween reports whether s has between lo and hi characters.
func LenBetween(s string, lo, hi int) bool {
	n := utf8.RuneCountInString(s)
	return n >= lo && n <= hi
}

// DecodeOption tunes [DecodeJSON].
type DecodeOption func(*decodeConfig)

type decodeConfig struct {
	maxBytes int64
}

// WithMaxBytes sets the body limit of one DecodeJSON call.
func WithMaxBytes(n int64) DecodeOption {
	return func(c *decodeConfig) { c.maxBytes = n }
}

// DecodeJSON decodes the request body into dst, which must be a pointer,
// and validates it. Its errors are *Error values ready for [WriteError]:
//
//   - 415 when Content-Type is not application/json,
//   - 413 when the body exceeds the limit (1 MiB unless [WithMaxBytes]),
//   - 400 for an empty body, malformed JSON or data after the JSON value,
//   - 422 naming the field for an unknown field or a wrong type,
//   - 422 with every field for a [FieldErrors] returned by Validate.
//
// Any other error from Validate is returned unchanged.
func DecodeJSON(w http.ResponseWriter, r *http.Request, dst any, opts ...DecodeOption) error {
	cfg := decodeConfig{maxBytes: DefaultMaxBodyBytes}
	for _, o := range opts {
		o(&cfg)
	}
	if !isJSON(r.Header.Get("Content-Type")) {
		return UnsupportedMediaType("Content-Type must be application/json")
	}
	if r.ContentLength > cfg.maxBytes {
		return PayloadTooLarge("request body is too large", cfg.maxBytes)
	}
	body := http.MaxBytesReader(w, r.Body, cfg.maxBytes)
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return decodeError(err, cfg.maxBytes)
	}
	// Exactly one JSON value: anything but whitespace after it is an error.
	if err := dec.Decode(&struct{}{}); !errors.Is(err, io.EOF) {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return PayloadTooLarge("request body is too large", cfg.maxBytes)
		}
		return BadRequest("request body must hold a single JSON value")
	}
	if v, ok := dst.(Validator); ok {
		if err := v.Validate(); err != nil {
			if fe, ok := errors.AsType[FieldErrors](err); ok {
				return Validation(fe...)
			}
			return err
		}
	}
	return nil
}

func isJSON(contentType string) bool {
	if contentType == "application/json" {
		return true // fast path
	}
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	return mt == "application/json" || (strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json"))
}

func decodeError(err error, limit int64) error {
	if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
		return PayloadTooLarge("request body is too large", limit)
	}
	if errors.Is(err, io.EOF) {
		return BadRequest("request body is empty")
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return BadRequest("request body is not valid JSON: unexpected end of input")
	}
	if se, ok := errors.AsType[*json.SyntaxError](err); ok {
		return BadRequest(fmt.Sprintf("request body is not valid JSON at byte %d", se.Offset))
	}
	if te, ok := errors.AsType[*json.UnmarshalTypeError](err); ok {
		field := te.Field
		if field == "" {
			return BadRequest("request body must be a JSON " + jsonKind(te.Type.Kind().String()))
		}
		return Validation(FieldError{Field: field, Message: "must be " + article(jsonKind(te.Type.Kind().String()))})
	}
	// encoding/json reports unknown fields only as text.
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		name = strings.Trim(name, `"`)
		return Validation(FieldError{Field: name, Message: "is not a known field"})
	}
	return BadRequest("request body is not valid JSON")
}

// jsonKind names a Go kind as a JSON type.
func jsonKind(k string) string {
	switch k {
	case "string":
		return "string"
	case "bool":
		return "boolean"
	case "slice", "array":
		return "array"
	case "map", "struct":
		return "object"
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64":
		return "integer"
	case "float32", "float64":
		return "number"
	}
	return "value of another type"
}

func article(kind string) string {
	switch kind[0] {
	case 'a', 'e', 'i', 'o', 'u':
		return "an " + kind
	}
	return "a " + kind
}
