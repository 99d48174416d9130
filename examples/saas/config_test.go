package main

import (
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestConfigDefaults(t *testing.T) {
	t.Parallel()
	cfg, err := loadConfig(nil)
	require.NoError(t, err)
	assert.Equal(t, 8000, cfg.Server.Port)
	assert.Equal(t, "127.0.0.1", cfg.Server.Host, "development listens on loopback only")
	assert.Equal(t, "development", cfg.Server.Environment)
	assert.Equal(t, "text", cfg.Server.LogFormat)
	assert.Equal(t, "memory", cfg.Jobs.Backend)
	assert.Equal(t, "http://localhost:8000", cfg.Server.PublicBaseURL)
	assert.Equal(t, "60/minute", cfg.RateLimit.Default)
	assert.Equal(t, "X-Forwarded-For", cfg.RateLimit.ProxyHeader)
	assert.True(t, cfg.RateLimit.Enabled)
	assert.True(t, cfg.Services.AutoMigrate)
	assert.Equal(t, "console", cfg.Email.Provider)
	assert.Equal(t, "local", cfg.Storage.Provider)
	assert.Equal(t, "./data/uploads", cfg.Storage.LocalDir)
	assert.Equal(t, int64(52428800), cfg.Storage.MaxUploadBytes)
	assert.Equal(t, "X-Webhook-Secret", cfg.Webhooks.SupabaseHeader)
}

func TestConfigComputedDefaults(t *testing.T) {
	t.Parallel()
	cfg, err := loadConfig([]string{"ENVIRONMENT=test", "JWT_SECRET=" + strongSecret, "DATABASE_URL=postgres://localhost/db",
		"PORT=9000", "ADMIN_EMAILS= Boss@Example.com ,,ops@example.com", "PUBLIC_BASE_URL=https://api.example.com/"})
	require.NoError(t, err)
	assert.Equal(t, "json", cfg.Server.LogFormat)
	assert.Equal(t, "0.0.0.0", cfg.Server.Host, "outside development every interface")
	assert.Equal(t, "river", cfg.Jobs.Backend)
	assert.Equal(t, []string{"boss@example.com", "ops@example.com"}, cfg.Auth.AdminEmails)
	assert.Equal(t, "https://api.example.com", cfg.Server.PublicBaseURL)

	cfg, err = loadConfig([]string{"HOST=0.0.0.0"})
	require.NoError(t, err)
	assert.Equal(t, "0.0.0.0", cfg.Server.Host, "a HOST that is set is kept in development")
}

// strongSecret passes the production checks: 48 random bytes in base64.
const strongSecret = "q3Jz0v9Xk2mB7c4LpW8sT1nR6yH5dF0aG3eK9uV2iO7xZ4bN1wQ8mC5tY6hS0jPe"

func TestConfigErrorsNameTheVariable(t *testing.T) {
	t.Parallel()
	tests := []struct {
		env  []string
		want string
	}{
		{[]string{"PORT=abc"}, "PORT"},
		{[]string{"PORT=70000"}, "PORT must be between"},
		{[]string{"ENVIRONMENT=staging"}, "ENVIRONMENT must be one of"},
		{[]string{"LOG_LEVEL=loud"}, "LOG_LEVEL"},
		{[]string{"AUTH_PROVIDER=okta"}, "AUTH_PROVIDER"},
		{[]string{"EMAIL_PROVIDER=ses"}, "EMAIL_PROVIDER"},
		{[]string{"STORAGE_PROVIDER=gcs"}, "STORAGE_PROVIDER"},
		{[]string{"JOBS_BACKEND=river"}, "JOBS_BACKEND=river needs DATABASE_URL"},
		{[]string{"PUBLIC_BASE_URL=ftp://x"}, "PUBLIC_BASE_URL"},
		{[]string{"RATE_LIMIT_ENABLED=maybe"}, "RATE_LIMIT_ENABLED"},
		{[]string{"RATE_LIMIT_DEFAULT=lots"}, "RATE_LIMIT_DEFAULT"},
		{[]string{"TRUSTED_PROXY_HEADER=X-Real-IP"}, "TRUSTED_PROXY_HEADER"},
		{[]string{"DATABASE_WAIT=soon"}, "DATABASE_WAIT"},
		{[]string{"STORAGE_MAX_UPLOAD_BYTES=0"}, "STORAGE_MAX_UPLOAD_BYTES"},
		{[]string{"ENVIRONMENT=production"}, "JWT_SECRET or JWKS_URL is required when ENVIRONMENT=production"},
		{[]string{"ENVIRONMENT=production", "JWT_SECRET=short"}, "JWT_SECRET must be at least 32 bytes in production"},
		{[]string{"AUTH_PROVIDER=supabase"}, "SUPABASE_PROJECT_URL is required"},
		{[]string{"AUTH_PROVIDER=clerk"}, "CLERK_ISSUER is required"},
		{[]string{"PPROF_ADDR=6060"}, "PPROF_ADDR must be host:port"},
		{[]string{"PPROF_ADDR=:8000"}, "PPROF_ADDR must not be the public address"},
		{[]string{"ENVIRONMENT=production", "JWT_SECRET=" + strongSecret, "PPROF_ADDR=:6060"}, "PPROF_ADDR must be on a loopback address"},
		{[]string{"ENVIRONMENT=production", "JWT_SECRET=" + strongSecret, "PPROF_ADDR=10.0.0.5:6060"}, "PPROF_ADDR must be on a loopback address"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.env, " "), func(t *testing.T) {
			t.Parallel()
			_, err := loadConfig(tt.env)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestConfigReportsEveryProblem(t *testing.T) {
	t.Parallel()
	_, err := loadConfig([]string{"ENVIRONMENT=production", "EMAIL_PROVIDER=ses", "STORAGE_PROVIDER=gcs"})
	require.Error(t, err)
	for _, name := range []string{"JWT_SECRET", "EMAIL_PROVIDER", "STORAGE_PROVIDER"} {
		assert.Contains(t, err.Error(), name)
	}
}

// TestConfigProductionRefusesWeakSecrets: the .env.example placeholder (38
// bytes) was accepted in production, so anyone could mint admin tokens;
// SIGNING_SECRET accepted "x".
func TestConfigProductionRefusesWeakSecrets(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, variable, value string
	}{
		{"the old .env.example placeholder", "JWT_SECRET", "change-me-to-at-least-32-random-bytes"},
		{"another placeholder", "JWT_SECRET", "your-secret-key-here-make-it-long-enough"},
		{"one repeated character", "JWT_SECRET", strings.Repeat("s", 40)},
		{"a short pattern repeated", "JWT_SECRET", strings.Repeat("abc1", 10)},
		{"a one-byte signing secret", "SIGNING_SECRET", "x"},
		{"a placeholder signing secret", "SIGNING_SECRET", "replace-me-with-a-long-random-signing-secret"},
		{"a repeated signing secret", "SIGNING_SECRET", strings.Repeat("0", 64)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := []string{"ENVIRONMENT=production", "JWT_SECRET=" + strongSecret, tt.variable + "=" + tt.value}
			_, err := loadConfig(env)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.variable)
			assert.NotContains(t, err.Error(), tt.value, "the value itself is never repeated")
			// The same value outside production starts (a developer's machine).
			if len(tt.value) >= 32 && tt.variable == "JWT_SECRET" {
				_, err = loadConfig([]string{"JWT_SECRET=" + tt.value})
				assert.NoError(t, err)
			}
		})
	}
	for _, good := range []string{strongSecret, "9f86d081884c7d659a2feaa0c55ad015", "Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0Z2FycGx5d2FsZG8="} {
		_, err := loadConfig([]string{"ENVIRONMENT=production", "JWT_SECRET=" + good, "SIGNING_SECRET=" + good})
		assert.NoError(t, err, "a random secret is accepted: %s", good)
	}
}

func TestSigningKey(t *testing.T) {
	t.Parallel()
	key := func(env ...string) func(string) []byte {
		cfg, err := loadConfig(env)
		require.NoError(t, err)
		return cfg.signingKey
	}
	assert.Nil(t, key()("projects cursor key"), "no secret: the block draws a random key")
	fromJWT := key("JWT_SECRET=" + strings.Repeat("j", 32))
	fromSigning := key("JWT_SECRET="+strings.Repeat("j", 32), "SIGNING_SECRET="+strings.Repeat("s", 32))
	assert.Len(t, fromJWT("a"), 32)
	assert.NotEqual(t, fromJWT("a"), fromJWT("b"), "each purpose has its own key")
	assert.NotEqual(t, fromJWT("a"), fromSigning("a"), "SIGNING_SECRET wins over JWT_SECRET")
	assert.Equal(t, fromSigning("a"), key("SIGNING_SECRET="+strings.Repeat("s", 32))("a"))
}

// TestConfigRedisURLIsRedacted: a malformed REDIS_URL was printed with its
// password.
func TestConfigRedisURLIsRedacted(t *testing.T) {
	t.Parallel()
	for _, u := range []string{
		"redis://admin:hunter2-secret@cache.internal:notaport/0",
		"redis://:hunter2-secret@cache.internal:6379/db0",
		"rediss//admin:hunter2-secret@cache.internal",
		"http://admin:hunter2-secret@cache.internal:6379/0",
	} {
		err := run(t.Context(), []string{"PORT=0", "REDIS_URL=" + u}, io.Discard, nil)
		require.Error(t, err, u)
		assert.Contains(t, err.Error(), "REDIS_URL")
		assert.NotContains(t, err.Error(), "hunter2", "the password never appears: %v", err)
	}
}
