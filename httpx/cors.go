package httpx

import (
	"errors"
	"net/http"
	"time"

	"github.com/rs/cors"
)

// CORSConfig tunes [CORS]. Only AllowedOrigins is required.
type CORSConfig struct {
	// AllowedOrigins lists the origins allowed to call the API, such as
	// "https://app.example.com". "*" allows any origin, and is refused
	// together with AllowCredentials. Empty: CORS is off and the
	// middleware passes requests through.
	AllowedOrigins []string
	// AllowedMethods default: GET, POST, PUT, PATCH, DELETE, HEAD.
	AllowedMethods []string
	// AllowedHeaders default: Authorization, Content-Type, If-Match,
	// Idempotency-Key, X-Request-ID.
	AllowedHeaders []string
	// ExposedHeaders default: X-Request-ID, ETag, Retry-After and the rate
	// limit headers.
	ExposedHeaders []string
	// AllowCredentials lets browsers send cookies. Default: false.
	AllowCredentials bool
	// MaxAge is how long a preflight answer may be cached. Default: 10 minutes.
	MaxAge time.Duration
}

// CORS answers preflight requests and adds CORS headers for the allowed
// origins, through github.com/rs/cors. It returns an error for a
// configuration browsers would reject.
func CORS(cfg CORSConfig) (func(http.Handler) http.Handler, error) {
	if len(cfg.AllowedOrigins) == 0 {
		return func(next http.Handler) http.Handler { return next }, nil
	}
	for _, o := range cfg.AllowedOrigins {
		if o == "*" && cfg.AllowCredentials {
			return nil, errors.New("httpx: CORSConfig: AllowCredentials cannot be combined with the origin \"*\"")
		}
		if o == "" {
			return nil, errors.New("httpx: CORSConfig: empty origin in AllowedOrigins")
		}
	}
	opts := cors.Options{
		AllowedOrigins:   append([]string(nil), cfg.AllowedOrigins...),
		AllowedMethods:   orDefault(cfg.AllowedMethods, []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodHead}),
		AllowedHeaders:   orDefault(cfg.AllowedHeaders, []string{"Authorization", "Content-Type", "If-Match", "Idempotency-Key", "X-Request-ID"}),
		ExposedHeaders:   orDefault(cfg.ExposedHeaders, []string{"X-Request-ID", "ETag", "Retry-After", "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "RateLimit", "RateLimit-Policy"}),
		AllowCredentials: cfg.AllowCredentials,
		MaxAge:           int(cfg.MaxAge / time.Second),
	}
	if cfg.MaxAge == 0 {
		opts.MaxAge = 600
	}
	return cors.New(opts).Handler, nil
}

func orDefault(v, def []string) []string {
	if len(v) == 0 {
		return def
	}
	return append([]string(nil), v...)
}
