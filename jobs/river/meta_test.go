package river

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/omnistack/omnistack/jobs"
)

// TestAppendMeta: the hand-written envelope is byte for byte what
// encoding/json writes for metaEnvelope, and nothing when it is empty.
func TestAppendMeta(t *testing.T) {
	for _, p := range []*jobs.InsertParams{
		{Timeout: time.Minute},
		{Timeout: 1500 * time.Microsecond},
		{UniqueKey: "order-1"},
		{Timeout: time.Second, UniqueKey: "k", Metadata: map[string]string{"b": "2", "a": "1", "c": ""}},
		{Metadata: map[string]string{"request_id": "req-42"}},
		{Timeout: time.Hour, UniqueKey: `q"u\o<t>e&`, Metadata: map[string]string{"é\n": "\u2028\x00", "bad": "\xff\xfe"}},
	} {
		want, err := json.Marshal(metaEnvelope{Omnistack: meta{
			TimeoutMS: p.Timeout.Milliseconds(), UniqueKey: p.UniqueKey, Metadata: p.Metadata,
		}})
		if err != nil {
			t.Fatal(err)
		}
		if got := appendMeta([]byte("x"), p); string(got) != "x"+string(want) {
			t.Errorf("appendMeta(%+v) = %s, want x%s", p, got, want)
		}
	}
	for _, p := range []*jobs.InsertParams{{}, {Timeout: time.Microsecond}, {Metadata: map[string]string{}}} {
		if got := appendMeta(nil, p); len(got) != 0 {
			t.Errorf("appendMeta(%+v) = %s, want nothing", p, got)
		}
	}
}

func TestRoundTrips(t *testing.T) {
	if !roundTrips(&jobs.InsertParams{UniqueKey: "é", Metadata: map[string]string{"a": "b"}}) {
		t.Error("valid UTF-8 must round-trip")
	}
	if roundTrips(&jobs.InsertParams{UniqueKey: "\xff"}) || roundTrips(&jobs.InsertParams{Metadata: map[string]string{"a": "\xff"}}) {
		t.Error("invalid UTF-8 does not round-trip")
	}
}
