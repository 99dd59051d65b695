package feedtest

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/hazardwire/hazardwire/collectors"
)

// CheckResult fails the test unless res is publishable, whatever input made
// it: every item validates and encodes as JSON, its key starts with
// keyPrefix and is the only one of its key, its intent is active or cancel,
// and the items and the drops are no more than the items fetched.
func CheckResult(t testing.TB, res collectors.Result, keyPrefix string) {
	t.Helper()
	dropped := 0
	for _, n := range res.Dropped {
		dropped += n
	}
	if len(res.Items)+dropped > res.Fetched {
		t.Fatalf("%d items + %d dropped > %d fetched", len(res.Items), dropped, res.Fetched)
	}
	seen := map[string]bool{}
	for _, it := range res.Items {
		a := it.Alert
		if err := a.Validate(); err != nil {
			t.Fatalf("item does not validate: %v", err)
		}
		if _, err := json.Marshal(it); err != nil {
			t.Fatalf("item does not encode: %v", err)
		}
		if !strings.HasPrefix(a.Key, keyPrefix) || seen[a.Key] {
			t.Fatalf("bad or repeated key %q", a.Key)
		}
		seen[a.Key] = true
		if it.Intent != collectors.IntentActive && it.Intent != collectors.IntentCancel {
			t.Fatalf("intent %q", it.Intent)
		}
		_ = a.ContentHash() // panics on content that cannot be encoded
	}
}
