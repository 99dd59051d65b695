package lifecycle

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/hazardwire/hazardwire/alert"
	"github.com/hazardwire/hazardwire/collectors"
)

// TestBySent: items are taken in order of their sent time, equals in the
// order they came, and the items themselves are left as they are.
func TestBySent(t *testing.T) {
	at := func(min int) collectors.Item {
		return collectors.Item{Alert: alert.Alert{Key: fmt.Sprint(min), Sent: time.Date(2026, 8, 1, 12, min, 0, 0, time.UTC)}}
	}
	items := []collectors.Item{at(5), at(1), at(5), at(0), at(1)}
	items[2].Alert.Key = "5b"
	items[4].Alert.Key = "1b"
	var got []string
	for _, i := range bySent(items) {
		got = append(got, items[i].Alert.Key)
	}
	if want := []string{"0", "1", "1b", "5", "5b"}; !slices.Equal(got, want) {
		t.Errorf("order %v, want %v", got, want)
	}
	if items[0].Alert.Key != "5" || items[3].Alert.Key != "0" {
		t.Error("the items were reordered")
	}
	if got := bySent(items[3:4]); !slices.Equal(got, []int{0}) {
		t.Errorf("one item: %v", got)
	}
}
