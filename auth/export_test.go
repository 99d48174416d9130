package auth

import (
	"sync/atomic"

	"github.com/golang-jwt/jwt/v5"
)

// CacheLen reports how many tokens v's cache holds.
func CacheLen(v *JWTVerifier) int {
	if v.cache == nil {
		return 0
	}
	return v.cache.len()
}

// CountSignatureChecks makes v count the tokens it checks (each check
// asks for a key first) and returns the counter. Call it before any use
// of v.
func CountSignatureChecks(v *JWTVerifier) *atomic.Int64 {
	n := new(atomic.Int64)
	kf := v.kf
	v.kf = func(t *jwt.Token) (any, error) {
		n.Add(1)
		return kf(t)
	}
	return n
}
