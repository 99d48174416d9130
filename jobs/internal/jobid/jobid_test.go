package jobid

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestParse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		give string
		want int64
		ok   bool
	}{
		{"1", 1, true},
		{"42", 42, true},
		{"9223372036854775807", 9223372036854775807, true},
		{"9223372036854775808", 0, false},
		{"0", 0, false},
		{"007", 0, false},
		{"+7", 0, false},
		{"-7", 0, false},
		{" 7", 0, false},
		{"7 ", 0, false},
		{"1e3", 0, false},
		{"１", 0, false},
		{"", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.give, func(t *testing.T) {
			got, ok := Parse(tt.give)
			assert.Equal(t, tt.ok, ok)
			assert.Equal(t, tt.want, got)
			if ok {
				assert.Equal(t, tt.give, Format(got), "canonical IDs round-trip")
			}
		})
	}
}
