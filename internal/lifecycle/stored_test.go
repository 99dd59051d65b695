package lifecycle

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/hazardwire/hazardwire/alert"
)

// TestStoredRecord: a record stored with its alert's published JSON spliced
// in reads back as the same record, alert included.
func TestStoredRecord(t *testing.T) {
	sent := time.Date(2026, 8, 1, 14, 0, 0, 0, time.UTC)
	a := alert.Alert{ID: "kma:a#2", Key: "kma:a", Version: 2, Change: alert.ChangeUpdate, State: alert.StateActive,
		Source: "kma", Hazard: alert.HazardHeat, Event: "폭염경보", Severity: alert.SeveritySevere, Sent: sent,
		Parameters: map[string][]string{"p": {"q"}}, References: []string{"kma:a#1"}}
	r := &Record{Key: "kma:a", Source: "kma", Version: 2, Episode: 1, Active: true, Hash: "h", Sent: sent,
		End: sent.Add(time.Hour), Missing: 1, Seqs: []uint64{3, 9}, Alert: a}
	data, err := json.Marshal(&a)
	if err != nil {
		t.Fatal(err)
	}
	stored, err := storedRecord(nil, r, data)
	if err != nil {
		t.Fatal(err)
	}
	var back Record
	if err := json.Unmarshal(stored, &back); err != nil {
		t.Fatalf("%v\n%s", err, stored)
	}
	if !reflect.DeepEqual(&back, r) {
		t.Errorf("read back\n%+v\nwant\n%+v", back, *r)
	}
	if r.Alert.ID != "kma:a#2" {
		t.Error("storedRecord changed the record it was given")
	}
}
