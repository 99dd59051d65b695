package exporters

import (
	"encoding/json"
	"testing"

	"github.com/hazardwire/hazardwire/alert"
)

func TestDecoded(t *testing.T) {
	c := NewDecoded(2)
	body := func(key string) []byte {
		b, err := json.Marshal(alert.Alert{Key: key, ID: key + "#1"})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	a1, err := c.Get(1, body("a"))
	if err != nil || a1.Key != "a" {
		t.Fatalf("Get(1) = %+v, %v", a1, err)
	}
	// A second runner asking for the same change gets the same decoded alert.
	if again, _ := c.Get(1, body("a")); again != a1 {
		t.Error("sequence 1 decoded twice")
	}
	_, _ = c.Get(2, body("b"))
	_, _ = c.Get(3, body("c")) // evicts 1, the oldest
	if again, _ := c.Get(1, body("a")); again == a1 || again.Key != "a" {
		t.Errorf("after eviction: same pointer %v, key %q", again == a1, again.Key)
	}
	if _, err := c.Get(4, []byte("{not json")); err == nil {
		t.Error("bad JSON decoded")
	}
	var none *Decoded // a runner without a shared cache decodes itself
	if a, err := none.Get(1, body("z")); err != nil || a.Key != "z" {
		t.Errorf("nil cache: %+v, %v", a, err)
	}
}

// TestDecodedPut: a change put by the lifecycle is returned as is, without
// decoding the message.
func TestDecodedPut(t *testing.T) {
	c := NewDecoded(4)
	a := &alert.Alert{Key: "k", ID: "k#1"}
	c.Put(7, a)
	got, err := c.Get(7, []byte("not even JSON"))
	if err != nil || got != a {
		t.Errorf("Get after Put = %p, %v; want %p", got, err, a)
	}
}
