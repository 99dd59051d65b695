package capdoc

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hazardwire/hazardwire/alert"
	"github.com/hazardwire/hazardwire/collectors"
)

// rules take the blocks whose event starts with "Flood" and fail the item
// of a block whose event is "Flood fail".
func rules(by StoryBy) Rules[alert.Hazard] {
	return Rules[alert.Hazard]{
		Story: by,
		Classify: func(in *Info) (alert.Hazard, bool) {
			return alert.HazardFlood, strings.HasPrefix(in.Event, "Flood")
		},
		Item: func(h *Header, i int, in *Info, hz alert.Hazard) (collectors.Item, error) {
			if in.Event == "Flood fail" {
				return collectors.Item{}, errors.New("boom")
			}
			a, err := h.Alert("src", "kind", hz, in)
			if err != nil {
				return collectors.Item{}, err
			}
			return h.Item(a, in)
		},
		Source: "src",
	}
}

func message(msgType, sent string, events ...string) *Alert {
	a := &Alert{Identifier: "ID", Sender: "s", Sent: sent, Status: "Actual", MsgType: msgType}
	for _, e := range events {
		a.Infos = append(a.Infos, Info{Language: "en-US", Event: e, Areas: []Area{{Desc: "A"}}})
	}
	return a
}

func TestMap(t *testing.T) {
	const sent = "2024-01-01T00:00:00Z"
	for _, tc := range []struct {
		name    string
		a       *Alert
		fetched int
		dropped map[string]int
		blocks  []int
		problem string
	}{
		{"ack counts nowhere", message("Ack", sent, "Flood"), 0, nil, nil, ""},
		{"error counts nowhere", message(" error ", sent), 0, nil, nil, ""},
		{"no info is one unmapped", message("Cancel", sent), 1, map[string]int{"unmapped": 1}, nil, ""},
		{"blocks in order", message("Alert", sent, "Flood", "Wind", "Flood warning"), 3, map[string]int{"unmapped": 1}, []int{0, 2}, ""},
		{"item error names the block", message("Alert", sent, "Wind", "Flood fail"), 2, map[string]int{"unmapped": 1, "invalid": 1}, nil, "info 1 (Flood fail): boom"},
		{"a cancel's item error", message("Cancel", sent, "Flood fail"), 1, map[string]int{"invalid": 1}, nil, "info 0 (Flood fail): boom"},
		{"header error for the blocks taken only", message("Alert", "yesterday", "Flood", "Wind"), 2, map[string]int{"unmapped": 1, "invalid": 1}, nil, "sent:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			y, blocks := Map(tc.a, rules(BySender))
			if y.Fetched != tc.fetched || len(y.Dropped) != len(tc.dropped) || len(y.Items) != 0 {
				t.Errorf("yield = %+v, want fetched %d, dropped %v", y, tc.fetched, tc.dropped)
			}
			for r, n := range tc.dropped {
				if y.Dropped[r] != n {
					t.Errorf("dropped[%s] = %d, want %d", r, y.Dropped[r], n)
				}
			}
			var idx []int
			for _, b := range blocks {
				idx = append(idx, b.Index)
				if b.Item.Alert.Key != alert.MakeKey("src", "s,ID/en-US") {
					t.Errorf("key = %q", b.Item.Alert.Key)
				}
			}
			if !slices.Equal(idx, tc.blocks) {
				t.Errorf("blocks = %v, want %v", idx, tc.blocks)
			}
			if tc.problem != "" && (len(y.Problems) != 1 || !strings.Contains(y.Problems[0].Error(), tc.problem)) {
				t.Errorf("problems = %v, want one containing %q", y.Problems, tc.problem)
			}
			// A block whose item fails is still served: its key is named
			// (the header's failure leaves no story to name it by; an
			// unread cancel keeps nothing alive).
			var want []string
			if tc.name == "item error names the block" {
				want = []string{alert.MakeKey("src", "s,ID/en-US")}
			}
			if !slices.Equal(y.Unreadable, want) {
				t.Errorf("unreadable = %v, want %v", y.Unreadable, want)
			}
		})
	}
}

func TestInvalid(t *testing.T) {
	err := errors.New("parse x: bad")
	y := Invalid(err)
	if y.Fetched != 1 || y.Dropped[collectors.DropInvalid] != 1 || len(y.Problems) != 1 || y.Problems[0] != err || y.Items != nil {
		t.Errorf("Invalid = %+v", y)
	}
}

func item(key, sent string, intent collectors.Intent, sev alert.Severity) collectors.Item {
	t, _ := time.Parse(time.RFC3339, sent)
	return collectors.Item{Alert: alert.Alert{Key: key, Sent: t, Severity: sev, Parameters: map[string][]string{"p": {"v"}}}, Intent: intent}
}

// One item per key: the one sent last, on a tie a cancel, then the more
// severe, wherever it stands.
func TestSnapshotKeepsNewestWord(t *testing.T) {
	const t0, t1 = "2024-01-01T00:00:00Z", "2024-01-01T01:00:00Z"
	s := NewSnapshot(false)
	s.Add(&Yield{Fetched: 2, Dropped: map[string]int{"unmapped": 1}, Items: []collectors.Item{
		item("a", t1, collectors.IntentActive, alert.SeverityMinor),
		item("b", t0, collectors.IntentActive, alert.SeverityExtreme),
	}})
	s.Add(&Yield{Fetched: 3, Dropped: map[string]int{"unmapped": 1, "invalid": 2}, Items: []collectors.Item{
		item("a", t0, collectors.IntentCancel, alert.SeverityExtreme), // older: loses
		item("b", t0, collectors.IntentCancel, alert.SeverityMinor),   // a cancel at the same instant: wins
		item("c", t0, collectors.IntentActive, alert.SeverityMinor),
		item("c", t0, collectors.IntentActive, alert.SeveritySevere), // more severe: wins
	}})
	res := s.Result
	if !res.Snapshot || res.Fetched != 5 || res.Dropped["unmapped"] != 2 || res.Dropped["invalid"] != 2 || len(res.Items) != 3 {
		t.Fatalf("result = %+v", res)
	}
	a, b, c := res.Items[0], res.Items[1], res.Items[2]
	if a.Alert.Key != "a" || a.Intent != collectors.IntentActive || b.Intent != collectors.IntentCancel || c.Alert.Severity != alert.SeveritySevere {
		t.Errorf("items = %+v", res.Items)
	}
}

// A cloning Snapshot gives items that share nothing with the yield added,
// which a cache keeps.
func TestSnapshotClone(t *testing.T) {
	y := &Yield{Fetched: 1, Items: []collectors.Item{item("a", "2024-01-01T00:00:00Z", collectors.IntentActive, alert.SeverityMinor)}}
	for _, clone := range []bool{true, false} {
		s := NewSnapshot(clone)
		s.Add(y)
		s.Result.Items[0].Alert.Parameters["p"][0] = "changed"
		if changed := y.Items[0].Alert.Parameters["p"][0] == "changed"; changed == clone {
			t.Errorf("clone %v: the yield changed: %v", clone, changed)
		}
		y.Items[0].Alert.Parameters["p"][0] = "v"
	}
}

// Segments of one product merge whatever order they come in: the content of
// the most severe, every segment's areas in the order of their messages, the
// latest expiry; a cancel at the same instant still wins, and the items
// merged are left as they were.
func TestSnapshotMergesSegments(t *testing.T) {
	sent := time.Date(2024, 1, 1, 6, 0, 0, 0, time.UTC)
	at := func(h int) *time.Time { v := sent.Add(time.Duration(h) * time.Hour); return &v }
	seg := func(msg string, sev alert.Severity, expires int, area string) *Yield {
		return &Yield{Message: msg, Items: []collectors.Item{{Intent: collectors.IntentActive, Alert: alert.Alert{
			Key: "k", Sent: sent, Severity: sev, Headline: msg, Expires: at(expires),
			Areas: []alert.Area{{Description: area}},
		}}}}
	}
	for _, order := range [][]string{{"m1", "m2", "m3"}, {"m3", "m1", "m2"}, {"m2", "m3", "m1"}} {
		ys := map[string]*Yield{
			"m1": seg("m1", alert.SeverityModerate, 3, "a1"),
			"m2": seg("m2", alert.SeveritySevere, 1, "a2"),
			"m3": seg("m3", alert.SeveritySevere, 2, "a3"),
		}
		s := NewSnapshot(false)
		for _, m := range order {
			s.Add(ys[m])
			s.Add(ys[m]) // the same message twice is not two segments
		}
		if len(s.Result.Items) != 1 {
			t.Fatalf("%v: %d items, want 1", order, len(s.Result.Items))
		}
		a := s.Result.Items[0].Alert
		var areas []string
		for _, ar := range a.Areas {
			areas = append(areas, ar.Description)
		}
		got := fmt.Sprint(a.Headline, " ", areas, " ", a.Expires.Sub(sent))
		if want := "m2 [a1 a2 a3] 3h0m0s"; got != want {
			t.Errorf("%v: merged %s, want %s", order, got, want)
		}
		if d := ys["m2"].Items[0].Alert; len(d.Areas) != 1 || d.Expires.Sub(sent) != time.Hour {
			t.Errorf("%v: a segment merged was changed: %v areas, expires %v", order, len(d.Areas), d.Expires)
		}

		cancel := seg("m4", alert.SeverityMinor, 1, "a4")
		cancel.Items[0].Intent = collectors.IntentCancel
		s.Add(cancel)
		if it := s.Result.Items[0]; it.Intent != collectors.IntentCancel || len(it.Alert.Areas) != 1 {
			t.Errorf("%v: a cancel at the same instant gave %v with %d areas, want the cancel", order, it.Intent, len(it.Alert.Areas))
		}
	}
}
