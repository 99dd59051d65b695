package meteoalarm

import (
	"fmt"
	"testing"

	"github.com/hazardwire/hazardwire/collectors"
	"github.com/hazardwire/hazardwire/collectors/internal/capdoc"
)

// docOf writes a message whose info blocks are given as (language,
// awareness_type, level, responseType, area) rows.
func docOf(msgType string, infos ...[5]string) []byte {
	var b []byte
	for _, in := range infos {
		b = fmt.Appendf(b, `<info><language>%s</language><event>E%s</event>%s<urgency>Future</urgency><severity>Moderate</severity>
<certainty>Likely</certainty><expires>2030-01-01T00:00:00+01:00</expires>
<parameter><valueName>awareness_type</valueName><value>%s</value></parameter>
<parameter><valueName>awareness_level</valueName><value>%s</value></parameter>
<area><areaDesc>%s</areaDesc></area></info>`, in[0], in[1], responseType(in[3]), in[1], in[2], in[4])
	}
	return fmt.Appendf(nil, `<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>ID</identifier><sender>s</sender>
<sent>2024-07-10T06:00:00+02:00</sent><status>Actual</status><msgType>%s</msgType>%s</alert>`, msgType, b)
}

func responseType(r string) string {
	if r == "" {
		return ""
	}
	return "<responseType>" + r + "</responseType>"
}

func mapDoc(t *testing.T, body []byte) *capdoc.Yield {
	t.Helper()
	a, err := parseCAP(body, "")
	if err != nil {
		t.Fatal(err)
	}
	m := mapper{source: "test"}
	return m.mapAlert(a, nil)
}

// In one language, the blocks in force win over the all-clear ones: the
// story goes on for the areas still warned.
func TestCombineActiveOverAllClear(t *testing.T) {
	d := mapDoc(t, docOf("Update",
		[5]string{"en-GB", "12", "3", "AllClear", "Cleared"},
		[5]string{"en-GB", "12", "2", "Monitor", "Warned"},
		[5]string{"fr-FR", "12", "2", "AllClear", "Cleared"},
	))
	wantEq(t, "items, fetched, dropped", []any{len(d.Items), d.Fetched, len(d.Dropped)}, []any{2, 3, 0})
	en, fr := d.Items[0], d.Items[1]
	wantEq(t, "en-GB", []any{en.Alert.Key, en.Intent, en.Alert.Severity, len(en.Alert.Areas), en.Alert.Areas[0].Description},
		[]any{"test:ID/en-GB", collectors.IntentActive, "moderate", 1, "Warned"})
	wantEq(t, "fr-FR", []any{fr.Alert.Key, fr.Intent}, []any{"test:ID/fr-FR", collectors.IntentCancel})
}

// A block of the other hazard in the same language cannot share the key:
// the more severe block is kept and the other dropped as invalid.
func TestCombineHazardConflict(t *testing.T) {
	d := mapDoc(t, docOf("Alert",
		[5]string{"en-GB", "5", "2", "", "A"},
		[5]string{"en-GB", "12", "3", "", "B"},
	))
	wantEq(t, "items, dropped", []any{len(d.Items), d.Dropped}, []any{1, map[string]int{invalid: 1}})
	wantEq(t, "kept", []any{d.Items[0].Alert.Hazard, d.Items[0].Alert.Areas[0].Description}, []any{"flood", "B"})
	if len(d.Problems) != 1 {
		t.Fatalf("problems = %v", d.Problems)
	}
	wantEq(t, "problem", d.Problems[0].Error(), "info 0: a heat warning beside a flood warning in language en-GB")
}

// A message without info blocks (a Cancel, in some profiles) cannot be
// told flood or heat.
func TestMessageWithoutInfo(t *testing.T) {
	d := mapDoc(t, docOf("Cancel"))
	wantEq(t, "fetched, dropped, items", []any{d.Fetched, d.Dropped, len(d.Items)}, []any{1, map[string]int{unmapped: 1}, 0})
}

// An all-clear at awareness level 1 (green: the warning is over) ends the
// story: it is a cancel, not a green warning to drop. So is a Cancel
// message whose blocks say green.
func TestGreenAllClearCancels(t *testing.T) {
	d := mapDoc(t, docOf("Update",
		[5]string{"fr-FR", "5; high-temperature", "1; green; Minor", "AllClear", "Rhône"},
		[5]string{"en-GB", "5; high-temperature", "1; green; Minor", "AllClear", "Rhône"},
	))
	wantEq(t, "items, fetched, dropped", []any{len(d.Items), d.Fetched, d.Dropped}, []any{2, 2, map[string]int(nil)})
	for _, it := range d.Items {
		wantEq(t, it.Alert.Key, []any{it.Intent, it.Alert.Hazard, it.Alert.Severity}, []any{collectors.IntentCancel, "heat", "minor"})
	}
	c := mapDoc(t, docOf("Cancel", [5]string{"en-GB", "12; flooding", "1; green; Minor", "", "Rhône"}))
	wantEq(t, "cancel: items, dropped", []any{len(c.Items), c.Dropped}, []any{1, map[string]int(nil)})
	if len(c.Items) == 1 {
		wantEq(t, "cancel intent", c.Items[0].Intent, collectors.IntentCancel)
	}
	// A green block that ends nothing is still no warning.
	g := mapDoc(t, docOf("Update", [5]string{"en-GB", "5", "1; green; Minor", "Monitor", "Rhône"}))
	wantEq(t, "green update: items, dropped", []any{len(g.Items), g.Dropped}, []any{0, map[string]int{unmapped: 1}})
}
