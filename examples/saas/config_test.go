package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestConfigDefaults(t *testing.T) {
	t.Parallel()
	cfg, err := loadConfig(nil)
	require.NoError(t, err)
	assert.Equal(t, 8000, cfg.Port)
	assert.Equal(t, "0.0.0.0", cfg.Host)
	assert.Equal(t, "development", cfg.Environment)
	assert.Equal(t, "text", cfg.LogFormat)
	assert.Equal(t, "memory", cfg.JobsBackend)
	assert.Equal(t, "http://localhost:8000", cfg.PublicBaseURL)
	assert.Equal(t, "60/minute", cfg.RateLimitDefault)
	assert.True(t, cfg.RateLimitEnabled)
	assert.True(t, cfg.AutoMigrate)
	assert.Equal(t, "console", cfg.EmailProvider)
	assert.Equal(t, "local", cfg.StorageProvider)
	assert.Equal(t, "./data/uploads", cfg.StorageLocalDir)
	assert.Equal(t, int64(52428800), cfg.StorageMaxUploadBytes)
	assert.Equal(t, "X-Webhook-Secret", cfg.SupabaseWebhookHeader)
}

func TestConfigComputedDefaults(t *testing.T) {
	t.Parallel()
	cfg, err := loadConfig([]string{"ENVIRONMENT=test", "JWT_SECRET=x", "DATABASE_URL=postgres://localhost/db",
		"PORT=9000", "ADMIN_EMAILS= Boss@Example.com ,,ops@example.com", "PUBLIC_BASE_URL=https://api.example.com/"})
	require.NoError(t, err)
	assert.Equal(t, "json", cfg.LogFormat)
	assert.Equal(t, "river", cfg.JobsBackend)
	assert.Equal(t, []string{"boss@example.com", "ops@example.com"}, cfg.AdminEmails)
	assert.Equal(t, "https://api.example.com", cfg.PublicBaseURL)
}

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
		{[]string{"DATABASE_WAIT=soon"}, "DATABASE_WAIT"},
		{[]string{"ENVIRONMENT=production"}, "JWT_SECRET or JWKS_URL is required when ENVIRONMENT=production"},
		{[]string{"ENVIRONMENT=production", "JWT_SECRET=short"}, "JWT_SECRET must be at least 32 bytes in production"},
		{[]string{"AUTH_PROVIDER=supabase"}, "SUPABASE_PROJECT_URL is required"},
		{[]string{"AUTH_PROVIDER=clerk"}, "CLERK_ISSUER is required"},
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

func TestSigningKey(t *testing.T) {
	t.Parallel()
	key := func(env ...string) func(string) []byte {
		cfg, err := loadConfig(env)
		require.NoError(t, err)
		return (&app{cfg: cfg}).signingKey
	}
	assert.Nil(t, key()("projects cursor key"), "no secret: the block draws a random key")
	fromJWT := key("JWT_SECRET=" + strings.Repeat("j", 32))
	fromSigning := key("JWT_SECRET="+strings.Repeat("j", 32), "SIGNING_SECRET="+strings.Repeat("s", 32))
	assert.Len(t, fromJWT("a"), 32)
	assert.NotEqual(t, fromJWT("a"), fromJWT("b"), "each purpose has its own key")
	assert.NotEqual(t, fromJWT("a"), fromSigning("a"), "SIGNING_SECRET wins over JWT_SECRET")
	assert.Equal(t, fromSigning("a"), key("SIGNING_SECRET="+strings.Repeat("s", 32))("a"))
}
