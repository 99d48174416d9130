package httpx

import "net/http"

// UserIDFunc returns the ID of the user a request is made for: the
// signed-in caller. It is the one way blocks learn who is calling without
// importing an authentication package: handlers that scope data to a user
// take one as HandlerConfig.UserID, auth.UserID is one, and an existing
// service passes its own. Its error is written to the client as it is, so
// it should be an [*Error] (401 UNAUTHORIZED when nobody is signed in).
type UserIDFunc func(r *http.Request) (string, error)

// PathUUID returns the path value name of r as a canonical (lower-case,
// hyphenated) UUID, and false when it is not a UUID. Handlers read IDs
// through it before comparing or looking anything up, so "ABC…" and
// "abc…" name the same resource everywhere; a value that is not a UUID
// names nothing (404). Only the 36-character form is accepted: braces,
// "urn:uuid:" and unhyphenated spellings name nothing.
func PathUUID(r *http.Request, name string) (string, bool) {
	return CanonicalUUID(r.PathValue(name))
}

// CanonicalUUID returns s in canonical lower-case form when it is a UUID
// in the 36-character hyphenated form (of any case).
func CanonicalUUID(s string) (string, bool) {
	if len(s) != 36 {
		return "", false
	}
	var b [36]byte
	for i := 0; i < 36; i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return "", false
			}
		default:
			switch {
			case '0' <= c && c <= '9', 'a' <= c && c <= 'f':
			case 'A' <= c && c <= 'F':
				c += 'a' - 'A'
			default:
				return "", false
			}
		}
		b[i] = c
	}
	if string(b[:]) == s {
		return s, true // already canonical: no allocation
	}
	return string(b[:]), true
}
