package driver

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"time"

	"github.com/google/uuid"

	"github.com/omnistack/omnistack/crud"
)

// Cursor layout, base64url without padding:
//
//	version(1) | value | id(16) | mac(16)
//
// The value is 8 bytes big-endian for integers and times (Unix
// microseconds), 1 byte for booleans and the raw bytes of a string. The MAC
// is HMAC-SHA256 over the plan's fingerprint and the bytes before it,
// truncated to 128 bits: a cursor only opens the list it was made for.
const (
	cursorVersion = 1
	macLen        = 16
	idLen         = 16
	// MaxCursorLen bounds an encoded cursor, as httpx.ParseCursor does:
	// string sort values must stay under about 730 bytes.
	MaxCursorLen = 1024
)

var errCursor = &crud.QueryError{Field: "cursor", Message: "is not a valid cursor for this list"}

// PlanCursor validates q like [Schema.Plan] and positions the plan after
// cursor (from the start when cursor is empty).
func (s *Schema[T]) PlanCursor(q crud.Query, cursor string) (Plan, error) {
	p, err := s.Plan(q)
	if err != nil || cursor == "" {
		return p, err
	}
	if len(cursor) > MaxCursorLen {
		return Plan{}, errCursor
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(cursor)
	// The decoder skips newlines: only the canonical encoding is a cursor.
	if err != nil || len(raw) < 1+idLen+macLen || raw[0] != cursorVersion ||
		base64.RawURLEncoding.EncodeToString(raw) != cursor {
		return Plan{}, errCursor
	}
	body, mac := raw[:len(raw)-macLen], raw[len(raw)-macLen:]
	if !hmac.Equal(mac, s.mac(&p, body)) {
		return Plan{}, errCursor
	}
	value, id := body[1:len(body)-idLen], body[len(body)-idLen:]
	pos := &Position{ID: uuid.UUID(id).String()}
	switch p.SortKind {
	case KindString:
		if !validText(string(value)) {
			return Plan{}, errCursor
		}
		pos.Value = string(value)
	case KindInt, KindTime:
		if len(value) != 8 {
			return Plan{}, errCursor
		}
		n := int64(binary.BigEndian.Uint64(value))
		pos.Value = n
		if p.SortKind == KindTime {
			pos.Value = time.UnixMicro(n).UTC()
		}
	case KindBool:
		if len(value) != 1 || value[0] > 1 {
			return Plan{}, errCursor
		}
		pos.Value = value[0] == 1
	}
	if p.SortColumn == "id" && pos.Value != pos.ID {
		return Plan{}, errCursor
	}
	p.After = pos
	return p, nil
}

// Cursor returns the cursor of the page that follows last in p's order.
func (s *Schema[T]) Cursor(p *Plan, last *T) string {
	id, err := uuid.Parse(MetaOf(last).ID)
	if err != nil {
		panic("crud/driver: stored entity has a malformed id")
	}
	b := make([]byte, 1, 64)
	b[0] = cursorVersion
	switch v := s.byName[p.SortColumn].Get(last).(type) {
	case string:
		b = append(b, v...)
	case int64:
		b = binary.BigEndian.AppendUint64(b, uint64(v))
	case time.Time:
		b = binary.BigEndian.AppendUint64(b, uint64(v.UnixMicro()))
	case bool:
		if v {
			b = append(b, 1)
		} else {
			b = append(b, 0)
		}
	}
	b = append(b, id[:]...)
	b = append(b, s.mac(p, b)...)
	return base64.RawURLEncoding.EncodeToString(b)
}

func (s *Schema[T]) mac(p *Plan, body []byte) []byte {
	h := hmac.New(sha256.New, s.key)
	h.Write([]byte("omnistack crud cursor\x00"))
	h.Write(p.fingerprint)
	h.Write([]byte{0})
	h.Write(body)
	return h.Sum(nil)[:macLen]
}
