package gcra

import (
	"math/rand/v2"
	"testing"
)

// TestEncodeDecode: one integer carries every figure of a decision.
func TestEncodeDecode(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for range 100_000 {
		interval := 1 + rng.Int64N(10_000_000)
		burst := 1 + rng.Int64N(100)
		tolerance := burst * interval
		n := rng.Int64N(burst + 1)
		now := int64(1_764_000_000_000_000) + rng.Int64N(1_000_000)
		tat := now - tolerance + rng.Int64N(3*tolerance)
		d := Step(tat, now, interval, tolerance, n)
		got := Decode(Encode(d), interval, tolerance, n)
		d.TAT, d.Write = 0, false
		if got != d {
			t.Fatalf("Step(%d, %d, %d, %d, %d) = %+v, decoded %+v", tat, now, interval, tolerance, n, d, got)
		}
	}
}
