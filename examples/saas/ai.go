package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"

	"github.com/omnistack/omnistack/ai"
	"github.com/omnistack/omnistack/ai/anthropic"
	"github.com/omnistack/omnistack/ai/fake"
	"github.com/omnistack/omnistack/ai/gemini"
	"github.com/omnistack/omnistack/ai/openai"
	"github.com/omnistack/omnistack/auth"
)

// aiConfig is the AI block's environment: a provider is configured when
// its key is set. Base URLs follow each SDK's convention (OpenAI's
// includes /v1, the others' do not).
type aiConfig struct {
	DefaultProvider  string `env:"AI_DEFAULT_PROVIDER" envDefault:"openai"`
	DefaultModel     string `env:"AI_DEFAULT_MODEL"`
	OpenAIKey        string `env:"OPENAI_API_KEY"`
	OpenAIBaseURL    string `env:"OPENAI_BASE_URL"`
	AnthropicKey     string `env:"ANTHROPIC_API_KEY"`
	AnthropicBaseURL string `env:"ANTHROPIC_BASE_URL"`
	GoogleKey        string `env:"GOOGLE_API_KEY"`
	GeminiBaseURL    string `env:"GEMINI_BASE_URL"`
}

func (c aiConfig) validate(srv serverConfig) []error {
	errs := []error{}
	errs = appendErr(errs, oneOf("AI_DEFAULT_PROVIDER", c.DefaultProvider, "openai", "anthropic", "gemini", "fake"))
	if c.DefaultProvider == "fake" && srv.production() {
		errs = append(errs, errors.New("AI_DEFAULT_PROVIDER=fake (a deterministic echo for trying the API) is refused in production"))
	}
	for name, v := range map[string]string{"OPENAI_BASE_URL": c.OpenAIBaseURL, "ANTHROPIC_BASE_URL": c.AnthropicBaseURL,
		"GEMINI_BASE_URL": c.GeminiBaseURL} {
		if v == "" {
			continue
		}
		if u, err := url.Parse(v); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("%s must be an absolute http(s) URL, got %q", name, v))
		}
	}
	return errs
}

// model is AI_DEFAULT_MODEL for the default provider, "" (the provider's
// own default) for the others.
func (c aiConfig) model(provider string) string {
	if provider == c.DefaultProvider {
		return c.DefaultModel
	}
	return ""
}

// newAI serves /app/ai on a router over the configured providers, with
// the ai_tokens quota of the caller's plan. Without any key the routes
// answer: /status lists every provider unconfigured, the others 503.
func newAI(cfg aiConfig, features *featuresModule, tel otelProviders, logger *slog.Logger) (routes, error) {
	var providers []ai.Provider
	if cfg.OpenAIKey != "" {
		p, err := openai.New(cfg.OpenAIKey, openai.Config{BaseURL: cfg.OpenAIBaseURL, DefaultModel: cfg.model("openai")})
		if err != nil {
			return routes{}, fmt.Errorf("OPENAI_API_KEY: %w", err)
		}
		providers = append(providers, p)
	}
	if cfg.AnthropicKey != "" {
		p, err := anthropic.New(cfg.AnthropicKey, anthropic.Config{BaseURL: cfg.AnthropicBaseURL, DefaultModel: cfg.model("anthropic")})
		if err != nil {
			return routes{}, fmt.Errorf("ANTHROPIC_API_KEY: %w", err)
		}
		providers = append(providers, p)
	}
	if cfg.GoogleKey != "" {
		p, err := gemini.New(cfg.GoogleKey, gemini.Config{BaseURL: cfg.GeminiBaseURL, DefaultModel: cfg.model("gemini")})
		if err != nil {
			return routes{}, fmt.Errorf("GOOGLE_API_KEY: %w", err)
		}
		providers = append(providers, p)
	}
	if cfg.DefaultProvider == "fake" {
		// Echoes the last user message, streamed word by word: the AI
		// routes work in a fresh clone without any key.
		p, err := fake.New(fake.Config{DefaultModel: cfg.model("fake")})
		if err != nil {
			return routes{}, err
		}
		providers = append(providers, p)
	}
	router, err := ai.NewRouter(providers, ai.RouterConfig{
		DefaultProvider: cfg.DefaultProvider,
		Quota:           aiQuota{features.flags},
		Recorder:        usageLog{logger},
		Logger:          logger,
		TracerProvider:  tel.tracer,
		MeterProvider:   tel.meter,
	})
	if err != nil {
		return routes{}, err
	}
	h, err := ai.NewHandler(router, ai.HandlerConfig{UserID: auth.UserID, Logger: logger})
	if err != nil {
		return routes{}, err
	}
	chat := func(h func(w http.ResponseWriter, r *http.Request)) http.HandlerFunc {
		return features.require("ai_chat", h)
	}
	return routes{app: []route{
		{"GET /api/v1/app/ai/status", h.Status},
		{"POST /api/v1/app/ai/completions", chat(h.Completions)},
		{"POST /api/v1/app/ai/chat", chat(h.Chat)},
		{"POST /api/v1/app/ai/chat/routed", chat(h.ChatRouted)},
	}}, nil
}

// usageLog records every AI call in the log: who, which model, how many
// tokens, the estimated cost. A deployment that bills usage implements
// ai.UsageRecorder on its own store instead.
type usageLog struct{ logger *slog.Logger }

func (l usageLog) RecordUsage(ctx context.Context, rec ai.UsageRecord) error {
	attrs := []slog.Attr{
		slog.String("user_id", rec.UserID), slog.String("provider", rec.Provider), slog.String("model", rec.Model),
		slog.Int("prompt_tokens", rec.Usage.PromptTokens), slog.Int("completion_tokens", rec.Usage.CompletionTokens),
		slog.Bool("estimated", rec.Estimated), slog.Float64("cost_usd", rec.CostUSD), slog.Bool("streamed", rec.Streamed),
		slog.Duration("duration", rec.Duration),
	}
	if rec.Err != nil {
		attrs = append(attrs, slog.String("error", rec.Err.Error()))
	}
	l.logger.LogAttrs(ctx, slog.LevelInfo, "ai call", attrs...)
	return nil
}
