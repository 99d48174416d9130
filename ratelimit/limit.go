package ratelimit

import (
	"fmt"
	"math/bits"
	"strconv"
	"strings"
	"time"

	"github.com/omnistack/omnistack/ratelimit/internal/gcra"
)

// Bounds of a [Limit]. Together they keep every time the algorithm
// computes, in microseconds since 1970, below 2^53, so the Redis script
// (whose numbers are doubles) and the memory backend agree exactly.
const (
	// MaxPeriod is the longest Period of a Limit.
	MaxPeriod = 366 * 24 * time.Hour
	// MaxBurst is the largest Burst (and Rate) of a Limit.
	MaxBurst = 1_000_000_000
	// maxTolerance bounds Burst × emission interval: ten years.
	maxTolerance = int64(10 * 366 * 24 * time.Hour / time.Microsecond)
)

// Limit is a rate: Rate requests per Period, of which up to Burst may come
// at once. Tokens come back one every Period/Rate, so "60/minute" allows 60
// requests at once and then one a second; "60/minute;burst=1" allows one a
// second, never two together.
//
// Build one with [ParseLimit], [PerSecond], [PerMinute], [PerHour] or
// [PerDay]. The zero value is not a valid limit.
type Limit struct {
	// Rate is the number of requests per Period.
	Rate int
	// Period is the window Rate applies to.
	Period time.Duration
	// Burst is the most requests allowed at once. Zero means Rate.
	Burst int
}

// PerSecond returns a limit of n requests a second (burst n).
func PerSecond(n int) Limit { return Limit{Rate: n, Period: time.Second, Burst: n} }

// PerMinute returns a limit of n requests a minute (burst n).
func PerMinute(n int) Limit { return Limit{Rate: n, Period: time.Minute, Burst: n} }

// PerHour returns a limit of n requests an hour (burst n).
func PerHour(n int) Limit { return Limit{Rate: n, Period: time.Hour, Burst: n} }

// PerDay returns a limit of n requests a day (burst n).
func PerDay(n int) Limit { return Limit{Rate: n, Period: 24 * time.Hour, Burst: n} }

// WithBurst returns l allowing up to b requests at once.
func (l Limit) WithBurst(b int) Limit {
	l.Burst = b
	return l
}

// burst returns Burst, defaulting to Rate.
func (l Limit) burst() int {
	if l.Burst == 0 {
		return l.Rate
	}
	return l.Burst
}

// Validate reports whether l is usable, as an error wrapping
// [ErrInvalidLimit].
func (l Limit) Validate() error {
	if why := l.invalid(); why != "" {
		return fmt.Errorf("%w: %s", ErrInvalidLimit, why)
	}
	return nil
}

// Check reports whether a request of cost n can ever be decided against
// l: l is valid and 0 ≤ n ≤ Burst. Its errors wrap [ErrInvalidLimit] or
// [ErrExceedsBurst], as those of [Limiter.AllowN] and every Store do.
func (l Limit) Check(n int) error {
	if why, kind := l.problem(n); kind != nil {
		return fmt.Errorf("%w: %s", kind, why)
	}
	return nil
}

// problem returns why a request of cost n cannot be decided against l
// and the sentinel it is a case of, or a nil kind. Callers add the
// package prefix once, through the sentinel.
func (l Limit) problem(n int) (why string, kind error) {
	if why := l.invalid(); why != "" {
		return why, ErrInvalidLimit
	}
	if n < 0 {
		return fmt.Sprintf("cost must not be negative, got %d", n), ErrInvalidLimit
	}
	if n > l.burst() {
		return fmt.Sprintf("cost %d, burst %d", n, l.burst()), ErrExceedsBurst
	}
	return "", nil
}

// invalid returns why l cannot be used, or "".
func (l Limit) invalid() string {
	switch {
	case l.Rate <= 0 || l.Rate > MaxBurst:
		return fmt.Sprintf("rate must be between 1 and %d, got %d", MaxBurst, l.Rate)
	case l.Period <= 0 || l.Period > MaxPeriod:
		return fmt.Sprintf("period must be between 1µs and %s, got %s", MaxPeriod, l.Period)
	case l.Burst < 0 || l.Burst > MaxBurst:
		return fmt.Sprintf("burst must be between 1 and %d, got %d", MaxBurst, l.Burst)
	}
	iv := gcra.Interval(l.Period, l.Rate)
	if iv < 1 {
		return fmt.Sprintf("%d per %s is faster than one request a microsecond", l.Rate, l.Period)
	}
	if hi, lo := bits.Mul64(uint64(l.burst()), uint64(iv)); hi != 0 || lo > uint64(maxTolerance) {
		return fmt.Sprintf("burst %d × %s between requests exceeds ten years", l.burst(), time.Duration(iv)*time.Microsecond)
	}
	return ""
}

// String formats l so that [ParseLimit] reads it back: "60/minute",
// "5/15m0s", "10/second;burst=20".
func (l Limit) String() string {
	var unit string
	switch l.Period {
	case time.Second:
		unit = "second"
	case time.Minute:
		unit = "minute"
	case time.Hour:
		unit = "hour"
	case 24 * time.Hour:
		unit = "day"
	default:
		unit = l.Period.String()
	}
	s := strconv.Itoa(l.Rate) + "/" + unit
	if l.Burst != 0 && l.Burst != l.Rate {
		s += ";burst=" + strconv.Itoa(l.Burst)
	}
	return s
}

var units = map[string]time.Duration{
	"s": time.Second, "sec": time.Second, "second": time.Second, "seconds": time.Second,
	"m": time.Minute, "min": time.Minute, "minute": time.Minute, "minutes": time.Minute,
	"h": time.Hour, "hr": time.Hour, "hour": time.Hour, "hours": time.Hour,
	"d": 24 * time.Hour, "day": 24 * time.Hour, "days": 24 * time.Hour,
}

// ParseLimit reads a limit written as "<count>/<period>[;burst=<n>]".
// The period is a unit (second, minute, hour, day, or s, sec, m, min, h,
// hr, d, and plurals) or a Go duration such as 15m or 1h30m:
//
//	60/minute  10/second  1000/hour  5000/day  5/15m  100/minute;burst=20
//
// Anything else is an error wrapping [ErrInvalidLimit] that quotes the
// input. Without a burst, Burst equals Rate.
func ParseLimit(s string) (Limit, error) {
	l, why := parseLimit(s)
	if why == "" {
		why = l.invalid()
	}
	if why != "" {
		return Limit{}, fmt.Errorf("%w %q: %s", ErrInvalidLimit, s, why)
	}
	return l, nil
}

// parseLimit reads s, or returns why it cannot.
func parseLimit(s string) (Limit, string) {
	main, params, hasParams := strings.Cut(s, ";")
	count, period, ok := strings.Cut(strings.TrimSpace(main), "/")
	if !ok {
		return Limit{}, "want <count>/<period>, such as 60/minute"
	}
	rate, why := parseCount(strings.TrimSpace(count), "count")
	if why != "" {
		return Limit{}, why
	}
	l := Limit{Rate: rate, Burst: rate}
	period = strings.TrimSpace(period)
	if d, ok := units[strings.ToLower(period)]; ok {
		l.Period = d
	} else if d, err := time.ParseDuration(period); err == nil && period != "" && period[0] != '-' && period[0] != '+' {
		l.Period = d
	} else {
		return Limit{}, fmt.Sprintf("period %q is neither second, minute, hour, day nor a Go duration such as 15m", period)
	}
	if hasParams {
		name, value, ok := strings.Cut(params, "=")
		if !ok || !strings.EqualFold(strings.TrimSpace(name), "burst") {
			return Limit{}, fmt.Sprintf("want ;burst=<n> after the rate, got %q", params)
		}
		if l.Burst, why = parseCount(strings.TrimSpace(value), "burst"); why != "" {
			return Limit{}, why
		}
	}
	return l, ""
}

// parseCount reads a positive decimal integer of at most 10 digits, or
// returns why it cannot.
func parseCount(s, what string) (int, string) {
	if s == "" || len(s) > 10 {
		return 0, fmt.Sprintf("%s %q is not a positive whole number", what, s)
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, fmt.Sprintf("%s %q is not a positive whole number", what, s)
		}
	}
	n, _ := strconv.Atoi(s)
	if n == 0 {
		return 0, what + " must be positive"
	}
	return n, ""
}
