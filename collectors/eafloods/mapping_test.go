package eafloods

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hazardwire/hazardwire/alert"
	"github.com/hazardwire/hazardwire/collectors"
	"github.com/hazardwire/hazardwire/collectors/internal/golden"
)

// editedItem returns the first warning of the real list capture, after edit
// has changed its decoded JSON.
func editedItem(t *testing.T, edit func(w map[string]any)) json.RawMessage {
	t.Helper()
	var doc struct{ Items []map[string]any }
	if err := json.Unmarshal(caseInput(t, "id-floods"), &doc); err != nil {
		t.Fatal(err)
	}
	w := doc.Items[0]
	if edit != nil {
		edit(w)
	}
	b, err := json.Marshal(w)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestLevels(t *testing.T) {
	tests := []struct {
		level     any
		severity  alert.Severity
		urgency   alert.Urgency
		certainty alert.Certainty
		intent    collectors.Intent
	}{
		{1, alert.SeverityExtreme, alert.UrgencyImmediate, alert.CertaintyLikely, collectors.IntentActive},
		{2, alert.SeveritySevere, alert.UrgencyImmediate, alert.CertaintyLikely, collectors.IntentActive},
		{3, alert.SeverityModerate, alert.UrgencyExpected, alert.CertaintyPossible, collectors.IntentActive},
		{4, alert.SeverityMinor, alert.UrgencyPast, alert.CertaintyObserved, collectors.IntentCancel},
		{"1", alert.SeverityExtreme, alert.UrgencyImmediate, alert.CertaintyLikely, collectors.IntentActive},
		{"4", alert.SeverityMinor, alert.UrgencyPast, alert.CertaintyObserved, collectors.IntentCancel},
	}
	m := mapper{source: "ea"}
	for _, tt := range tests {
		it, _, err := m.item(editedItem(t, func(w map[string]any) { w["severityLevel"] = tt.level }), "")
		if err != nil {
			t.Fatalf("level %v: %v", tt.level, err)
		}
		a := it.Alert
		if a.Severity != tt.severity || a.Urgency != tt.urgency || a.Certainty != tt.certainty || it.Intent != tt.intent {
			t.Errorf("level %v: %s %s %s %s; want %s %s %s %s", tt.level, a.Severity, a.Urgency, a.Certainty, it.Intent,
				tt.severity, tt.urgency, tt.certainty, tt.intent)
		}
		golden.Eq(t, "event (the severity text as sent)", a.Event, "Flood Alert")
	}
	for _, bad := range []any{0, 5, -1, 2.5, "two", true, map[string]any{"level": 1}} {
		if _, _, err := m.item(editedItem(t, func(w map[string]any) { w["severityLevel"] = bad }), ""); err == nil {
			t.Errorf("severityLevel %v accepted", bad)
		}
	}
}

// TestTimeZone: offset-less EA times are UTC, not Europe/London (whose summer
// time would put them an hour earlier), and times with an offset keep it.
func TestTimeZone(t *testing.T) {
	tests := map[string]string{
		"2026-07-01T12:00:00":       "2026-07-01T12:00:00Z",
		"2026-07-01T12:00":          "2026-07-01T12:00:00Z",
		"2026-07-01 12:00:00":       "2026-07-01T12:00:00Z",
		"2026-07-01T12:00:00.25":    "2026-07-01T12:00:00.25Z",
		"2026-07-01T12:00:00Z":      "2026-07-01T12:00:00Z",
		"2026-07-01T13:00:00+01:00": "2026-07-01T13:00:00+01:00",
		" 2015-12-10T14:14:00 ":     "2015-12-10T14:14:00Z",
	}
	for in, want := range tests {
		got, err := parseTime(in)
		if err != nil {
			t.Errorf("parseTime(%q): %v", in, err)
			continue
		}
		golden.Eq(t, "parseTime("+in+")", got.Format(time.RFC3339Nano), want)
	}
	for _, bad := range []string{"", "10/12/2015 14:14", "2015-12-10", "2015-12-10T25:00:00", "yesterday"} {
		if _, err := parseTime(bad); err == nil {
			t.Errorf("parseTime(%q) accepted", bad)
		}
	}
	// Through the mapper: the summer time of the real capture's shape stays UTC.
	it, _, err := (&mapper{source: "ea"}).item(editedItem(t, func(w map[string]any) { w["timeMessageChanged"] = "2026-07-01T12:00:00" }), "")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(it.Alert)
	if !strings.Contains(string(b), `"sent":"2026-07-01T12:00:00Z"`) {
		t.Errorf("alert JSON %s: want sent 2026-07-01T12:00:00Z", b)
	}
}

func TestText(t *testing.T) {
	tests := map[string]string{
		`"a"`: "a", `3`: "3", `3.5`: "3.5", `true`: "true", `null`: "", `["North Yorkshire", " ", "City of York"]`: "North Yorkshire, City of York",
		`[1, "b"]`: "1, b", `[]`: "",
	}
	for in, want := range tests {
		var got text
		if err := json.Unmarshal([]byte(in), &got); err != nil {
			t.Errorf("%s: %v", in, err)
			continue
		}
		golden.Eq(t, in, got.String(), want)
	}
	for _, bad := range []string{`{"a": 1}`, `[{"a": 1}]`} {
		var got text
		if err := json.Unmarshal([]byte(bad), &got); err == nil {
			t.Errorf("%s accepted as text %q", bad, got)
		}
	}
}

func TestBoolean(t *testing.T) {
	for in, want := range map[string]boolean{`true`: {true, true}, `false`: {true, false}, `"true"`: {true, true}, `"FALSE"`: {true, false}, `null`: {}} {
		var got boolean
		if err := json.Unmarshal([]byte(in), &got); err != nil {
			t.Errorf("%s: %v", in, err)
			continue
		}
		golden.Eq(t, in, got, want)
	}
	for _, bad := range []string{`"yes please"`, `{}`, `2`} {
		var got boolean
		if err := json.Unmarshal([]byte(bad), &got); err == nil {
			t.Errorf("isTidal %s accepted", bad)
		}
	}
}

// TestItemsShareNothing: the items of one answer share no maps or slices, so
// that the lifecycle may change one without touching another.
func TestItemsShareNothing(t *testing.T) {
	res, _, err := runCase(t, "id-floods")
	if err != nil {
		t.Fatal(err)
	}
	a, b := res.Items[0].Alert, res.Items[1].Alert
	a.Parameters["attribution"][0] = "changed"
	a.Parameters["licence"] = nil
	a.EventCodes["severityLevel"][0] = "changed"
	if b.Parameters["attribution"][0] == "changed" || b.Parameters["licence"] == nil || b.EventCodes["severityLevel"][0] == "changed" {
		t.Error("items share maps or slices")
	}
}

// A warning the feed still lists but that cannot be read (here a time in
// an unknown form) is dropped as invalid, and its key, when it can be told,
// is named unreadable: it did not leave the snapshot, so the lifecycle must
// keep its last state rather than expire it. A lifted one (level 4) keeps
// nothing alive and is not named.
func TestUnreadableWarningKeepsItsKey(t *testing.T) {
	m := mapper{source: "ea"}
	for _, tt := range []struct {
		name  string
		edit  func(w map[string]any)
		named []string
	}{
		{"bad time", func(w map[string]any) { w["timeMessageChanged"] = "10/12/2015 14:14" }, []string{"ea:122WAF946"}},
		{"bad level", func(w map[string]any) { w["severityLevel"] = 7 }, []string{"ea:122WAF946"}},
		{"lifted, bad time", func(w map[string]any) { w["severityLevel"] = 4; w["timeMessageChanged"] = "x" }, nil},
	} {
		body := `{"items": [` + string(editedItem(t, tt.edit)) + `]}`
		res, _, err := m.parse([]byte(body), "application/json")
		if err != nil {
			t.Fatal(err)
		}
		golden.Eq(t, tt.name+": items, dropped", fmt.Sprint(len(res.Items), res.Dropped[collectors.DropInvalid]), "0 1")
		golden.Eq(t, tt.name+": unreadable", fmt.Sprint(res.Unreadable), fmt.Sprint(tt.named))
	}
}
