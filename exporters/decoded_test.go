package exporters

import (
	"encoding/json"
	"testing"

	"github.com/hazardwire/hazardwire/alert"
)

func body(t *testing.T, a alert.Alert) []byte {
	t.Helper()
	b, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDecoded(t *testing.T) {
	c := NewDecoded(2)
	a := body(t, alert.Alert{Key: "a", ID: "a#1"})
	a1, err := c.Get("a#1", a)
	if err != nil || a1.Key != "a" {
		t.Fatalf("Get = %+v, %v", a1, err)
	}
	// A second runner asking for the same message gets the same decoded alert.
	if again, _ := c.Get("a#1", a); again != a1 {
		t.Error("a#1 decoded twice")
	}
	_, _ = c.Get("b#1", body(t, alert.Alert{Key: "b", ID: "b#1"}))
	_, _ = c.Get("c#1", body(t, alert.Alert{Key: "c", ID: "c#1"})) // evicts a#1, the oldest
	if again, _ := c.Get("a#1", a); again == a1 || again.Key != "a" {
		t.Errorf("after eviction: same pointer %v, key %q", again == a1, again.Key)
	}
	if _, err := c.Get("d#1", []byte("{not json")); err == nil {
		t.Error("bad JSON decoded")
	}
	var none *Decoded // a runner without a shared cache decodes itself
	if got, err := none.Get("z#1", body(t, alert.Alert{Key: "z"})); err != nil || got.Key != "z" {
		t.Errorf("nil cache: %+v, %v", got, err)
	}
}

// TestDecodedPut: a change put by the lifecycle is returned as is when the
// message brings the same bytes, and never when it brings others under the
// same id (a change published before a crash with other content).
func TestDecodedPut(t *testing.T) {
	c := NewDecoded(4)
	a := &alert.Alert{Key: "k", ID: "k#2", Severity: alert.SeverityMinor}
	data := body(t, *a)
	c.Put("k#2", data, a)
	if got, err := c.Get("k#2", data); err != nil || got != a {
		t.Errorf("Get after Put = %p, %v; want %p", got, err, a)
	}
	stored := body(t, alert.Alert{Key: "k", ID: "k#2", Severity: alert.SeverityExtreme})
	got, err := c.Get("k#2", stored)
	if err != nil || got == a || got.Severity != alert.SeverityExtreme {
		t.Errorf("other bytes under the same id: got %+v, %v; want the message's own content", got, err)
	}
}
