package ratelimit

import (
	"context"
	"fmt"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
)

// scopeName is the instrumentation scope of the package's spans and
// metrics.
const scopeName = "github.com/omnistack/omnistack/ratelimit"

// Attribute keys of the rate limit spans and metrics.
const (
	// AttrDecision is "allowed", "limited" or "error" (invalid input, a
	// cancelled caller, or the store failing under FailClosed).
	AttrDecision = attribute.Key("ratelimit.decision")
	// AttrDegraded reports that the store did not decide: the fallback
	// store or the FailOpen policy did.
	AttrDegraded = attribute.Key("ratelimit.degraded")
)

// telemetry is a limiter's instruments; nil when neither provider is set.
type telemetry struct {
	tracer    trace.Tracer
	decisions metric.Int64Counter
	// sets are the counter's six attribute sets, built once so that a
	// decision records without allocating: [decision][degraded].
	sets [3][2]metric.AddOption
}

const (
	decisionAllowed = iota
	decisionLimited
	decisionError
)

var decisionNames = [...]string{"allowed", "limited", "error"}

func newTelemetry(tp trace.TracerProvider, mp metric.MeterProvider) (*telemetry, error) {
	if tp == nil && mp == nil {
		return nil, nil
	}
	t := new(telemetry)
	if tp != nil {
		t.tracer = tp.Tracer(scopeName)
	}
	if mp != nil {
		c, err := mp.Meter(scopeName).Int64Counter("omnistack.ratelimit.decisions", metric.WithUnit("{decision}"),
			metric.WithDescription("Rate limit decisions, by decision and whether the store was degraded."))
		if err != nil {
			return nil, fmt.Errorf("ratelimit: Config.MeterProvider: %w", err)
		}
		t.decisions = c
		for d, name := range decisionNames {
			for g := range 2 {
				t.sets[d][g] = metric.WithAttributeSet(attribute.NewSet(AttrDecision.String(name), AttrDegraded.Bool(g == 1)))
			}
		}
	}
	return t, nil
}

// begin starts a decision's span when tracing is on.
func (t *telemetry) begin(ctx context.Context, limit Limit, n int) (context.Context, trace.Span) {
	if t.tracer == nil {
		return ctx, nil
	}
	return t.tracer.Start(ctx, "ratelimit allow", trace.WithAttributes(
		attribute.String("ratelimit.limit", limit.String()), attribute.Int("ratelimit.cost", n)))
}

// end records a decision's outcome on its span and counter.
func (t *telemetry) end(ctx context.Context, span trace.Span, res Result, err error) {
	d := decisionAllowed
	switch {
	case err != nil:
		d = decisionError
	case !res.Allowed:
		d = decisionLimited
	}
	if span != nil {
		span.SetAttributes(AttrDecision.String(decisionNames[d]), AttrDegraded.Bool(res.Degraded))
		if err != nil {
			span.RecordError(err)
		}
		span.End()
	}
	if t.decisions != nil {
		g := 0
		if res.Degraded {
			g = 1
		}
		t.decisions.Add(ctx, 1, t.sets[d][g])
	}
}
