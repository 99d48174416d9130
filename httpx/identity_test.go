package httpx_test

import (
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/omnistack/omnistack/httpx"
)

func TestCanonicalUUID(t *testing.T) {
	t.Parallel()
	const id = "0192f0a2-7b3c-7d4e-8f90-a1b2c3d4e5f6"
	tests := []struct {
		give string
		want string
		ok   bool
	}{
		{id, id, true},
		{"0192F0A2-7B3C-7D4E-8F90-A1B2C3D4E5F6", id, true},
		{"0192f0a2-7B3C-7d4e-8f90-a1b2c3d4e5F6", id, true},
		{"", "", false},
		{"0192f0a27b3c7d4e8f90a1b2c3d4e5f6", "", false},
		{"{0192f0a2-7b3c-7d4e-8f90-a1b2c3d4e5f6}", "", false},
		{"urn:uuid:0192f0a2-7b3c-7d4e-8f90-a1b2c3d4e5f6", "", false},
		{"0192f0a2-7b3c-7d4e-8f90-a1b2c3d4e5fg", "", false},
		{"0192f0a2_7b3c-7d4e-8f90-a1b2c3d4e5f6", "", false},
		{"0192f0a2-7b3c-7d4e-8f90-a1b2c3d4e5f", "", false},
	}
	for _, tt := range tests {
		got, ok := httpx.CanonicalUUID(tt.give)
		assert.Equal(t, tt.ok, ok, tt.give)
		assert.Equal(t, tt.want, got, tt.give)
	}
}

func TestPathUUID(t *testing.T) {
	t.Parallel()
	r := httptest.NewRequest("GET", "/users/0192F0A2-7B3C-7D4E-8F90-A1B2C3D4E5F6", nil)
	r.SetPathValue("id", "0192F0A2-7B3C-7D4E-8F90-A1B2C3D4E5F6")
	id, ok := httpx.PathUUID(r, "id")
	assert.True(t, ok)
	assert.Equal(t, "0192f0a2-7b3c-7d4e-8f90-a1b2c3d4e5f6", id)
	_, ok = httpx.PathUUID(r, "other")
	assert.False(t, ok)
}

func FuzzCanonicalUUID(f *testing.F) {
	f.Add("0192f0a2-7b3c-7d4e-8f90-a1b2c3d4e5f6")
	f.Add("0192F0A2-7B3C-7D4E-8F90-A1B2C3D4E5F6")
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := httpx.CanonicalUUID(s)
		if !ok {
			return
		}
		again, ok2 := httpx.CanonicalUUID(got)
		if !ok2 || again != got {
			t.Fatalf("canonical form %q is not stable", got)
		}
		for _, c := range got {
			if c >= 'A' && c <= 'Z' {
				t.Fatalf("upper case in %q", got)
			}
		}
	})
}
