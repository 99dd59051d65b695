package kma

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/hazardwire/hazardwire/collectors/internal/golden"
)

// FuzzParse feeds the parsers a getPwnCd answer and a getWthrWrnMsg answer,
// seeded with every testdata input. They must never panic, and whatever
// they accept must be a Result the lifecycle can take: valid alerts in KST,
// one item per key, drops within the count.
func FuzzParse(f *testing.F) {
	msg := golden.Fixture(f, "getWthrWrnMsg.json")
	for _, b := range golden.Inputs(f, "*.json", "*/input.json") {
		f.Add(b, msg)
		f.Add(b, []byte(nil))
	}
	m := newTestCollector(f, "", "kinds:\n  열대야: heat\n  폭풍해일: flood\n", nil, testNow).mapper
	f.Fuzz(func(t *testing.T, pwn, msg []byte) {
		if len(msg) == 0 {
			msg = nil
		}
		res, _, err := m.parse(pwn, msg)
		if err != nil {
			if len(res.Items) != 0 || res.Fetched != 0 {
				t.Fatalf("error %v with a non-empty Result", err)
			}
			return
		}
		dropped := 0
		for _, n := range res.Dropped {
			dropped += n
		}
		if dropped+len(res.Items) > res.Fetched {
			t.Fatalf("%d dropped and %d items of %d rows", dropped, len(res.Items), res.Fetched)
		}
		keys := map[string]bool{}
		for _, it := range res.Items {
			a := it.Alert
			if err := a.Validate(); err != nil {
				t.Fatalf("invalid alert %q: %v", a.Key, err)
			}
			if keys[a.Key] {
				t.Fatalf("key %q twice", a.Key)
			}
			keys[a.Key] = true
			if !strings.HasPrefix(a.Key, "kma:") || strings.Count(a.Key, "/") != 1 {
				t.Fatalf("key %q", a.Key)
			}
			if _, off := a.Sent.Zone(); off != 9*3600 {
				t.Fatalf("sent %s is not in KST", a.Sent)
			}
			if _, err := json.Marshal(a); err != nil {
				t.Fatalf("marshal %q: %v", a.Key, err)
			}
		}
	})
}
