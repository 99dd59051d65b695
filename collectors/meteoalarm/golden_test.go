package meteoalarm

import (
	"bytes"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hazardwire/hazardwire/alert"
	"github.com/hazardwire/hazardwire/collectors"
	"github.com/hazardwire/hazardwire/collectors/internal/feedtest"
	harness "github.com/hazardwire/hazardwire/collectors/internal/golden"
)

// update is the -update flag of the shared harness (one flag per test
// binary): rewrite the golden files (expected.json, expected.err).
var update = harness.Update

// itemFact is what every golden case asserts about each item.
type itemFact struct {
	key      string
	intent   collectors.Intent
	hazard   alert.Hazard
	severity alert.Severity
	language string
	sent     string // as the alert JSON writes it: the source's offset kept
}

// facts are the key facts of a golden case, asserted explicitly so that a
// regenerated golden file cannot hide a regression in them.
type facts struct {
	err     string // the error must contain this; "" when the case parses
	fetched int
	dropped map[string]int
	items   []itemFact
	check   func(t *testing.T, res collectors.Result, problems []error)
}

const (
	active   = collectors.IntentActive
	cancel   = collectors.IntentCancel
	flood    = alert.HazardFlood
	heat     = alert.HazardHeat
	unmapped = collectors.DropUnmapped
	invalid  = collectors.DropInvalid
)

var cases = map[string]facts{
	"france-update-allclear": {fetched: 2, dropped: map[string]int{unmapped: 2}}, // real: avalanches (9)
	"heat-alert-orange": {fetched: 2, items: []itemFact{
		{"test:2.49.0.0.250.0.FR.20240710060000.100001/fr-FR", active, heat, alert.SeveritySevere, "fr-FR", "2024-07-10T06:00:00+02:00"},
		{"test:2.49.0.0.250.0.FR.20240710060000.100001/en-GB", active, heat, alert.SeveritySevere, "en-GB", "2024-07-10T06:00:00+02:00"},
	}, check: func(t *testing.T, res collectors.Result, _ []error) {
		a := res.Items[0].Alert
		wantEq(t, "event (untranslated)", a.Event, "Vigilance orange canicule")
		wantEq(t, "eventCodes", a.EventCodes, map[string][]string{"awareness_type": {"5"}})
		wantEq(t, "parameters", a.Parameters, map[string][]string{"awareness_level": {"3; orange; Severe"}, "awareness_type": {"5; high-temperature"}})
		wantEq(t, "areas", a.Areas, []alert.Area{
			{Description: "Rhône", Geocodes: map[string][]string{"NUTS3": {"FRK26"}, "EMMA_ID": {"FR069"}}},
			{Description: "Isère", Geocodes: map[string][]string{"NUTS3": {"FRK24"}, "EMMA_ID": {"FR038"}}},
		})
		wantEq(t, "geometry", a.Geometry == nil, true)
		wantEq(t, "times", []string{rfc3339(a.Effective), rfc3339(a.Onset), rfc3339(a.Expires)},
			[]string{"2024-07-10T06:00:00+02:00", "2024-07-10T12:00:00+02:00", "2024-07-11T06:00:00+02:00"})
		wantEq(t, "ends", a.Ends == nil, true)
		wantEq(t, "status, urgency, certainty", []string{string(a.Status), string(a.Urgency), string(a.Certainty)}, []string{"actual", "future", "likely"})
		wantEq(t, "sender, senderName, web", []string{a.Sender, a.SenderName, a.Web}, []string{"vigilance@meteo.fr", "METEO-FRANCE", "http://vigilance.meteofrance.com/"})
		wantEq(t, "text", []string{a.Headline, a.Description, a.Instruction}, []string{"Vigilance orange canicule", "Une canicule est prévue.", "Buvez régulièrement de l'eau."})
		wantEq(t, "en-GB event", res.Items[1].Alert.Event, "Severe high-temperature warning")
	}},
	"heat-update-allclear": {fetched: 2, items: []itemFact{
		{"test:2.49.0.0.250.0.FR.20221206160108.315028/fr-FR", cancel, heat, alert.SeverityModerate, "fr-FR", "2022-12-07T06:01:26+01:00"},
		{"test:2.49.0.0.250.0.FR.20221206160108.315028/en-GB", cancel, heat, alert.SeverityModerate, "en-GB", "2022-12-07T06:01:26+01:00"},
	}, check: func(t *testing.T, res collectors.Result, _ []error) {
		wantEq(t, "expires", rfc3339(res.Items[0].Alert.Expires), "2022-12-07T06:01:00+01:00")
		wantEq(t, "parameters.awareness_type (casing as sent)", res.Items[0].Alert.Parameters["awareness_type"], []string{"5; High-Temperature"})
	}},
	"flood-update-red-references": {fetched: 1, items: []itemFact{
		// The earliest of the two references, though listed last.
		{"test:2.49.0.0.250.0.FR.20240117060000.000001/en-GB", active, flood, alert.SeverityExtreme, "en-GB", "2024-01-18T06:00:00+01:00"},
	}, check: func(t *testing.T, res collectors.Result, _ []error) {
		a := res.Items[0].Alert
		wantEq(t, "urgency, certainty", []string{string(a.Urgency), string(a.Certainty)}, []string{"immediate", "observed"})
		wantEq(t, "eventCodes", a.EventCodes, map[string][]string{"awareness_type": {"12"}})
		wantEq(t, "references (the lifecycle's)", a.References == nil, true)
	}},
	"rain-type-10": {fetched: 1, dropped: map[string]int{unmapped: 1}},
	"rain-type-10-rain-as-flood": {fetched: 1, items: []itemFact{
		{"test:2.49.0.0.250.0.FR.20240117060000.000010/fr-FR", active, flood, alert.SeverityModerate, "fr-FR", "2024-01-17T06:00:00+01:00"},
	}, check: func(t *testing.T, res collectors.Result, _ []error) {
		wantEq(t, "eventCodes", res.Items[0].Alert.EventCodes, map[string][]string{"awareness_type": {"10"}})
	}},
	"rain-flood-two-infos-same-language": {fetched: 2, items: []itemFact{
		{"test:2.49.0.0.250.0.FR.20240117060000.000013/en-GB", active, flood, alert.SeveritySevere, "en-GB", "2024-01-17T06:00:00+01:00"},
	}, check: func(t *testing.T, res collectors.Result, _ []error) {
		a := res.Items[0].Alert
		wantEq(t, "event (most severe block)", a.Event, "Severe rain-flood warning")
		wantEq(t, "areas (every block's, once)", []string{a.Areas[0].Description, a.Areas[1].Description}, []string{"Pas-de-Calais", "Nord"})
		wantEq(t, "area count", len(a.Areas), 2)
		wantEq(t, "onset (earliest)", rfc3339(a.Onset), "2024-01-17T08:00:00+01:00")
		wantEq(t, "expires (latest)", rfc3339(a.Expires), "2024-01-18T18:00:00+01:00")
	}},
	"green-level-1": {fetched: 2, dropped: map[string]int{unmapped: 2}},
	"cancel-message": {fetched: 1, items: []itemFact{
		{"test:2.49.0.0.250.0.FR.20240117060000.000001/en-GB", cancel, flood, alert.SeveritySevere, "en-GB", "2024-01-18T12:00:00+01:00"},
	}, check: func(t *testing.T, res collectors.Result, _ []error) {
		wantEq(t, "onset", rfc3339(res.Items[0].Alert.Onset), "<nil>")
		wantEq(t, "urgency", res.Items[0].Alert.Urgency, alert.UrgencyPast)
	}},
	"awareness-variants": {fetched: 2, items: []itemFact{
		// de-DE: level "3;Orange;Severe" wins over its CAP severity Moderate.
		{"test:2.49.0.0.40.0.AT.20240801080000.0001/de-DE", active, heat, alert.SeveritySevere, "de-DE", "2024-08-01T08:00:00+02:00"},
		// en-gb → en-GB; no awareness_level: CAP severity Severe.
		{"test:2.49.0.0.40.0.AT.20240801080000.0001/en-GB", active, heat, alert.SeveritySevere, "en-GB", "2024-08-01T08:00:00+02:00"},
	}, check: func(t *testing.T, res collectors.Result, _ []error) {
		wantEq(t, "de-DE eventCodes", res.Items[0].Alert.EventCodes, map[string][]string{"awareness_type": {"5"}})
		wantEq(t, "de-DE geocodes", res.Items[0].Alert.Areas[0].Geocodes, map[string][]string{"EMMA_ID": {"AT009"}, "NUTS3": {"AT130"}})
		wantEq(t, "sender", res.Items[0].Alert.Sender, "warnungen@geosphere.at")
	}},
	"unmapped-types": {fetched: 3, dropped: map[string]int{unmapped: 3}},
	"time-without-offset": {fetched: 2, dropped: map[string]int{invalid: 1}, items: []itemFact{
		{"test:2.49.0.0.250.0.FR.20240710060000.100004/en-GB", active, heat, alert.SeveritySevere, "en-GB", "2024-07-10T06:00:00+02:00"},
	}, check: problemMentions("info 0", `"2024-07-10T12:00:00"`, "offset")},
	"polygons-no": {fetched: 2, items: []itemFact{
		{"test:2.49.0.0.578.0.NO.20240814100000.0012/no", active, flood, alert.SeverityModerate, "no", "2024-08-14T10:00:00+02:00"},
		{"test:2.49.0.0.578.0.NO.20240814100000.0012/en-GB", active, flood, alert.SeverityModerate, "en-GB", "2024-08-14T10:00:00+02:00"},
	}, check: func(t *testing.T, res collectors.Result, _ []error) {
		a := res.Items[0].Alert
		wantEq(t, "first position [lon, lat]", a.Areas[0].Polygons[0][0], [2]float64{10.6, 59.9})
		wantEq(t, "circle", a.Areas[1].Circles, []alert.Circle{{Lon: 10.52, Lat: 59.89, RadiusKm: 5}})
		wantEq(t, "geometry", []any{a.Geometry.Type, len(a.Geometry.Polygons)}, []any{"MultiPolygon", 2})
		wantEq(t, "Bærum geocodes", a.Areas[1].Geocodes == nil, true)
		wantEq(t, "Oslo geocodes", a.Areas[0].Geocodes, map[string][]string{"EMMA_ID": {"NO003"}})
	}},
	"bad-polygon": {fetched: 2, dropped: map[string]int{invalid: 1}, items: []itemFact{
		{"test:2.49.0.0.578.0.NO.20240814100000.0013/no", active, flood, alert.SeverityModerate, "no", "2024-08-14T10:00:00+02:00"},
	}, check: problemMentions("info 1 (Flood)", "area 0", "outside")},
	"ack-message":  {fetched: 0},
	"missing-sent": {fetched: 2, dropped: map[string]int{invalid: 2}},
	"no-namespace": {fetched: 1, items: []itemFact{
		{"test:2.49.0.0.250.0.FR.20240710060000.100007/en-GB", active, heat, alert.SeveritySevere, "en-GB", "2024-07-10T06:00:00+02:00"},
	}},
	"foreign-elements": {fetched: 1, items: []itemFact{
		{"test:2.49.0.0.250.0.FR.20240710060000.100008/en-GB", active, heat, alert.SeveritySevere, "en-GB", "2024-07-10T06:00:00+02:00"},
	}, check: func(t *testing.T, res collectors.Result, _ []error) {
		a := res.Items[0].Alert
		wantEq(t, "event", a.Event, "Severe high-temperature warning")
		wantEq(t, "parameters.awareness_type", a.Parameters["awareness_type"], []string{"5; high-temperature"})
	}},
	"cap11-root":    {err: `root element <alert> in namespace "urn:oasis:names:tc:emergency:cap:1.1" is not a CAP 1.2 alert`},
	"malformed-xml": {err: "XML syntax error"},
	"invalid-utf8":  {err: "not valid UTF-8"},
	// The real feed, its flooding document hand-made: two documents of two
	// info blocks each; the real one is avalanches.
	"feed-france": {fetched: 4, dropped: map[string]int{unmapped: 2}, items: []itemFact{
		{"test:2.49.0.0.250.0.FR.20221207160058.764028/fr-FR", active, flood, alert.SeverityModerate, "fr-FR", "2022-12-07T16:00:58+01:00"},
		{"test:2.49.0.0.250.0.FR.20221207160058.764028/en-GB", active, flood, alert.SeverityModerate, "en-GB", "2022-12-07T16:00:58+01:00"},
	}, check: func(t *testing.T, res collectors.Result, _ []error) {
		fr, en := res.Items[0].Alert, res.Items[1].Alert
		wantEq(t, "areas", []int{len(fr.Areas), len(en.Areas)}, []int{6, 6})
		// The feed's entry index_info=1&index_area=5 (Haute Savoie) adds the
		// EMMA_ID of its web link; the trimmed feed has no entry for fr-FR.
		wantEq(t, "en-GB Haute Savoie", en.Areas[5], alert.Area{Description: "Haute Savoie",
			Geocodes: map[string][]string{"NUTS3": {"FR718"}, "EMMA_ID": {"FR035"}}})
		wantEq(t, "fr-FR Haute Savoie", fr.Areas[5].Geocodes, map[string][]string{"NUTS3": {"FR718"}})
		wantEq(t, "en-GB Savoie", en.Areas[4].Geocodes, map[string][]string{"NUTS3": {"FR717"}})
	}},
}

func TestGolden(t *testing.T) {
	dirs, err := os.ReadDir("testdata")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, d := range dirs {
		if d.IsDir() && d.Name() != "fuzz" { // fuzz: the fuzzer's corpus
			seen[d.Name()] = true
		}
	}
	for _, name := range slices.Sorted(maps.Keys(seen)) {
		t.Run(name, func(t *testing.T) {
			f, ok := cases[name]
			if !ok {
				t.Fatalf("testdata/%s has no facts in cases", name)
			}
			res, problems, err := runCase(t, name)
			golden(t, name, res, err)
			checkFacts(t, f, res, problems, err)
		})
	}
	for _, name := range slices.Sorted(maps.Keys(cases)) {
		if !seen[name] {
			t.Errorf("cases[%q] has no folder in testdata", name)
		}
	}
}

// runCase runs golden case name: a feed (feed.atom.xml and docs/) through
// Collect against a local server, or one CAP document (input.xml) through
// the parser and mapper, with the case's options.yaml.
func runCase(t *testing.T, name string) (collectors.Result, []error, error) {
	t.Helper()
	dir := filepath.Join("testdata", name)
	options := ""
	if b, err := os.ReadFile(filepath.Join(dir, "options.yaml")); err == nil {
		options = string(b)
	} else if !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "feed.atom.xml")); err == nil {
		srv := feedtest.NewServer(t)
		c := newCollector(t, serveFeed(t, srv, name), options, nil)
		res, err := feedtest.Collect(t, c)
		return res, nil, err
	}
	return docPayload(t, name).Parse()
}

// golden compares the items, or the error, with the case's golden file.
func golden(t *testing.T, name string, res collectors.Result, err error) {
	t.Helper()
	items := res.Items
	if items == nil {
		items = []collectors.Item{}
	}
	file, got := "expected.json", []byte(mustJSON(t, items)+"\n")
	if err != nil {
		file, got = "expected.err", []byte(err.Error()+"\n")
	}
	path := filepath.Join("testdata", name, file)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		other := map[string]string{"expected.json": "expected.err", "expected.err": "expected.json"}[file]
		_ = os.Remove(filepath.Join("testdata", name, other))
		return
	}
	want, rerr := os.ReadFile(path)
	if rerr != nil {
		t.Fatalf("%v (run go test -update to write it)", rerr)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (run go test -update and review the diff)\ngot:\n%s", path, got)
	}
}

func checkFacts(t *testing.T, f facts, res collectors.Result, problems []error, err error) {
	t.Helper()
	if f.err != "" {
		if err == nil || !strings.Contains(err.Error(), f.err) {
			t.Fatalf("error = %v, want one containing %q", err, f.err)
		}
		return
	}
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	wantEq(t, "Snapshot", res.Snapshot, true)
	wantEq(t, "Fetched", res.Fetched, f.fetched)
	wantEq(t, "Dropped", res.Dropped, f.dropped)
	if len(res.Items) != len(f.items) {
		t.Fatalf("%d items, want %d: %s", len(res.Items), len(f.items), mustJSON(t, res.Items))
	}
	for i, w := range f.items {
		it := res.Items[i]
		a := it.Alert
		got := itemFact{a.Key, it.Intent, a.Hazard, a.Severity, a.Language, rfc3339(&a.Sent)}
		if got != w {
			t.Errorf("item %d = %+v\nwant %+v", i, got, w)
		}
		wantEq(t, "source, sourceKind", []string{a.Source, a.SourceKind}, []string{"test", "meteoalarm"})
		if a.ID != "" || a.Version != 0 || a.Change != "" || a.State != "" || a.References != nil {
			t.Errorf("item %d: lifecycle fields set: %+v", i, a)
		}
		if err := a.Validate(); err != nil {
			t.Errorf("item %d does not validate: %v", i, err)
		}
	}
	if f.check != nil {
		f.check(t, res, problems)
	}
}

// problemMentions checks that there is one parse problem and that it
// mentions every one of subs.
func problemMentions(subs ...string) func(t *testing.T, res collectors.Result, problems []error) {
	return func(t *testing.T, _ collectors.Result, problems []error) {
		t.Helper()
		if len(problems) != 1 {
			t.Fatalf("problems = %v, want one", problems)
		}
		for _, s := range subs {
			if !strings.Contains(problems[0].Error(), s) {
				t.Errorf("problem %q does not mention %q", problems[0], s)
			}
		}
	}
}
