package storage_test

import (
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/storage"
	"github.com/omnistack/omnistack/storage/storagetest"
)

func TestValidateKey(t *testing.T) {
	t.Parallel()
	for _, k := range storagetest.AwkwardKeys {
		assert.NoError(t, storage.ValidateKey(k), "key %q", k)
	}
	for _, k := range []string{"a", "a/b/c.txt", "uploads/u1/f1/photo.png", ".hidden", "a..b", "..a"} {
		assert.NoError(t, storage.ValidateKey(k), "key %q", k)
	}
	for _, k := range storagetest.InvalidKeys {
		err := storage.ValidateKey(k)
		assert.ErrorIs(t, err, storage.ErrInvalidKey, "key %q", k)
	}
}

func TestKey(t *testing.T) {
	t.Parallel()
	k, err := storage.Key("uploads", "u1", "f1", "a.png")
	require.NoError(t, err)
	assert.Equal(t, "uploads/u1/f1/a.png", k)
	tests := []struct {
		name string
		give []string
	}{
		{"slash in a segment", []string{"uploads", "u1/../../x"}},
		{"dot-dot segment", []string{"uploads", "..", "x"}},
		{"empty segment", []string{"uploads", "", "x"}},
		{"backslash", []string{"uploads", `..\x`}},
		{"nothing", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := storage.Key(tt.give...)
			require.ErrorIs(t, err, storage.ErrInvalidKey)
		})
	}
}

func TestSanitizeFilename(t *testing.T) {
	t.Parallel()
	tests := []struct {
		give, want string
	}{
		{"report.pdf", "report.pdf"},
		{"My Photo (1).JPG", "My Photo 1_.JPG"},
		{"../../etc/passwd", "passwd"},
		{`C:\Users\me\evil.exe`, "evil.exe"},
		{"..", "file"},
		{"", "file"},
		{".bashrc", "bashrc"},
		{"a\x00b\nc.txt", "a_b_c.txt"},
		{"bidi\u202Etxt.exe", "bidi_txt.exe"},
		{"résumé.pdf", "résumé.pdf"},
		{"cafe\u0301.txt", "café.txt"},
		{"文件.txt", "文件.txt"},
		{"a//b", "b"},
		{"what?*<>|\".txt", "what_.txt"},
		{"trailing. . ", "trailing"},
		{"\xff\xfe.txt", "txt"},
	}
	for _, tt := range tests {
		t.Run(tt.give, func(t *testing.T) {
			assert.Equal(t, tt.want, storage.SanitizeFilename(tt.give))
		})
	}
	long := strings.Repeat("a", 300) + ".tar.gz"
	got := storage.SanitizeFilename(long)
	assert.Equal(t, 120, utf8.RuneCountInString(got))
	assert.True(t, strings.HasSuffix(got, ".gz"), got)
}

func FuzzValidateKey(f *testing.F) {
	for _, k := range append(append([]string{}, storagetest.AwkwardKeys...), storagetest.InvalidKeys...) {
		f.Add(k)
	}
	f.Fuzz(func(t *testing.T, key string) {
		if storage.ValidateKey(key) != nil {
			return
		}
		// A valid key never leaves a root directory, on any OS spelling.
		root := filepath.FromSlash("/srv/bucket")
		p := filepath.Join(root, filepath.FromSlash(key))
		if !strings.HasPrefix(p, root+string(filepath.Separator)) {
			t.Fatalf("key %q escapes to %q", key, p)
		}
		if filepath.IsAbs(key) || strings.ContainsAny(key, "\\\x00") || !utf8.ValidString(key) {
			t.Fatalf("key %q should be invalid", key)
		}
		for seg := range strings.SplitSeq(key, "/") {
			if seg == "" || seg == "." || seg == ".." {
				t.Fatalf("key %q has segment %q", key, seg)
			}
		}
	})
}

func FuzzSanitizeFilename(f *testing.F) {
	for _, s := range []string{"report.pdf", "../../x", `a\b`, "\u202E", "..", strings.Repeat("é", 200), "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		got := storage.SanitizeFilename(name)
		if err := storage.ValidateKey(got); err != nil {
			t.Fatalf("SanitizeFilename(%q) = %q: %v", name, got, err)
		}
		if strings.Contains(got, "/") {
			t.Fatalf("SanitizeFilename(%q) = %q has a slash", name, got)
		}
		if _, err := storage.Key("uploads", got); err != nil {
			t.Fatalf("not a segment: %q: %v", got, err)
		}
		if again := storage.SanitizeFilename(got); again != got {
			t.Fatalf("not idempotent: %q -> %q -> %q", name, got, again)
		}
	})
}
