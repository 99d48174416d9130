package cloudinary

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/omnistack/omnistack/storage"
)

func TestEscapeKey(t *testing.T) {
	t.Parallel()
	tests := []struct{ give, want string }{
		{"docs/report.txt", "docs/report.txt"},
		{"a_b", "a_5Fb"},
		{"v1/x", "_761/x"},
		{"dir/v2/video.mp4", "dir/_762/_76ideo.mp4"},
		{"with space?&#%+", "with_20space_3F_26_23_25_2B"},
		{"é", "_C3_A9"},
	}
	for _, tt := range tests {
		t.Run(tt.give, func(t *testing.T) {
			got := escapeKey(tt.give)
			assert.Equal(t, tt.want, got)
			back, err := unescapeKey(got)
			require.NoError(t, err)
			assert.Equal(t, tt.give, back)
		})
	}
}

func TestUnescapeKeyRefusesForeignIDs(t *testing.T) {
	t.Parallel()
	for _, id := range []string{"a_b", "a_4", "a_zz", "a_61", "v1/x", "a b", "a/v2"} {
		_, err := unescapeKey(id)
		assert.Error(t, err, "%q", id)
	}
}

// FuzzEscapeKey: escaping round-trips, uses only characters Cloudinary
// keeps in a public ID, never yields a v<digits> folder, and keeps prefixes
// (List relies on it).
func FuzzEscapeKey(f *testing.F) {
	for _, s := range []string{"", "a", "v1/v2/x", "données/ünïcødé 文件.txt", "query?and#hash&amp=1", "_5F", "a/b"} {
		f.Add(s, 3)
	}
	f.Fuzz(func(t *testing.T, s string, cut int) {
		e := escapeKey(s)
		back, err := unescapeKey(e)
		require.NoError(t, err)
		require.Equal(t, s, back)
		for i := 0; i < len(e); i++ {
			c := e[i]
			require.True(t, isLetter(c) || isDigit(c) || strings.IndexByte("._-/", c) >= 0, "byte %q in %q", c, e)
		}
		for seg := range strings.SplitSeq(e, "/") {
			require.False(t, strings.HasPrefix(seg, "v"), "segment %q of %q", seg, e)
		}
		if len(s) > 0 {
			p := s[:min(max(cut, 0), len(s))]
			require.True(t, strings.HasPrefix(e, escapeKey(p)), "prefix %q of %q", p, s)
		}
		if unesc, err := unescapeKey(s); err == nil {
			require.Equal(t, s, escapeKey(unesc), "a public ID has one key")
		}
	})
}

func TestPublicID(t *testing.T) {
	t.Parallel()
	id, err := publicID("f/", "a b/c")
	require.NoError(t, err)
	assert.Equal(t, "f/a_20b/c", id)
	key, err := keyOf("f/", id)
	require.NoError(t, err)
	assert.Equal(t, "a b/c", key)
	_, err = publicID("", strings.Repeat("é", 50)) // 100 bytes, 300 escaped
	require.ErrorIs(t, err, storage.ErrInvalidKey)
	_, err = keyOf("f/", "g/a")
	require.Error(t, err)
	_, err = keyOf("", "a//b")
	require.ErrorIs(t, err, storage.ErrInvalidKey, "a listed ID that decodes to an invalid key is skipped")
}

func TestParseURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		give string
		want Credentials
		err  string
	}{
		{"plain", "cloudinary://123:abc@demo", Credentials{CloudName: "demo", APIKey: "123", APISecret: "abc", SignatureAlgorithm: "sha1"}, ""},
		{"sha256", "cloudinary://123:abc@demo?signature_algorithm=sha256", Credentials{CloudName: "demo", APIKey: "123", APISecret: "abc", SignatureAlgorithm: "sha256"}, ""},
		{"escaped secret", "cloudinary://123:a%2Fb%40c@demo-2", Credentials{CloudName: "demo-2", APIKey: "123", APISecret: "a/b@c", SignatureAlgorithm: "sha1"}, ""},
		{"scheme", "https://123:abc@demo", Credentials{}, "scheme"},
		{"no secret", "cloudinary://123@demo", Credentials{}, "secret"},
		{"no user", "cloudinary://demo", Credentials{}, "key:secret"},
		{"bad cloud", "cloudinary://123:abc@1demo", Credentials{}, "cloud name"},
		{"unknown param", "cloudinary://123:abc@demo?secure=false", Credentials{}, "not supported"},
		{"bad algorithm", "cloudinary://123:abc@demo?signature_algorithm=md5", Credentials{}, "signature algorithm"},
		{"path", "cloudinary://123:abc@demo/x", Credentials{}, "path"},
		{"empty", "", Credentials{}, "scheme"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseURL(tt.give)
			if tt.err != "" {
				require.ErrorContains(t, err, tt.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

// FuzzParseURL: never panics, and an error never repeats the secret.
func FuzzParseURL(f *testing.F) {
	for _, s := range []string{"cloudinary://123:abc@demo", "cloudinary://123:s3cr3tvalue@demo?signature_algorithm=sha256", "cloudinary://:@", "cloudinary://k:s3cr3tvalue@x y", "%zz"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseURL(s)
		if err != nil {
			if i := strings.Index(s, ":s3cr3tvalue@"); i >= 0 {
				require.NotContains(t, err.Error(), "s3cr3tvalue")
			}
			return
		}
		require.NotEmpty(t, c.APISecret)
		require.True(t, validCloudName(c.CloudName))
		require.Contains(t, []string{"sha1", "sha256"}, c.SignatureAlgorithm)
	})
}
