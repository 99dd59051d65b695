package lifecycle

import (
	"encoding/json"
	"reflect"
	"strings"
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

// TestRecordFields: the record's members are written byte for byte as
// encoding/json writes them, on records that take every branch.
func TestRecordFields(t *testing.T) {
	if n := reflect.TypeFor[Record]().NumField(); n != 12 {
		t.Fatalf("Record has %d fields: appendRecordFields writes 12; write the new one there and here", n)
	}
	kst := time.FixedZone("KST", 9*3600)
	sent := time.Date(2026, 8, 1, 14, 0, 0, 123456789, kst)
	records := []Record{
		{},
		{Key: "kma:L1010300/O/1", Source: "kma", Version: 3, Episode: 2, Active: true, Hash: "9f86d081884c7d65", Sent: sent,
			End: sent.Add(36 * time.Hour), Missing: 2, Seqs: []uint64{1, 18446744073709551615}, Published: 1785560400},
		{Key: `nws:"quoted" \ <tag> & more`, Source: "nws", Version: -1, Sent: sent.UTC(), Seqs: []uint64{}},
		{Key: "mois:폭염\u2028\x01\x7f", Source: "mois", Hash: "h", Sent: time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("", -(3*3600+30*60)))},
	}
	for i, r := range records {
		want, err := json.Marshal(&r)
		if err != nil {
			t.Fatal(err)
		}
		got, err := appendRecordFields([]byte("{"), &r)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Errorf("record %d:\n got %s\nwant %s", i, got, want)
		}
	}
	bad := Record{Key: "k", Sent: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}
	if _, err := json.Marshal(&bad); err == nil {
		t.Fatal("encoding/json took a year past 9999")
	}
	if _, err := appendRecordFields(nil, &bad); err == nil {
		t.Error("a time encoding/json refuses was written")
	}
}

// BenchmarkStoredRecord encodes a record of a new alert around 2.2 KB of
// alert JSON, as the lifecycle does for every change it records.
func BenchmarkStoredRecord(b *testing.B) {
	sent := time.Date(2026, 8, 1, 14, 0, 0, 0, time.UTC)
	r := &Record{Key: "nws:KLWX.FL.W.0042.2026", Source: "nws", Version: 1, Episode: 1, Active: true,
		Hash: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", Sent: sent, End: sent.Add(6 * time.Hour), Seqs: []uint64{123456}}
	alertJSON := []byte(`{"id":"` + strings.Repeat("x", 2200) + `"}`)
	buf := make([]byte, 0, 4096)
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if buf, err = storedRecord(buf, r, alertJSON); err != nil {
			b.Fatal(err)
		}
	}
}
