package nws

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/hazardwire/hazardwire/collectors"
	"github.com/hazardwire/hazardwire/collectors/internal/golden"
)

// editedFeature returns the feature of the real flood watch capture, after
// edit has changed its decoded JSON (f the feature, p its properties).
func editedFeature(t *testing.T, edit func(f, p map[string]any)) json.RawMessage {
	t.Helper()
	var c struct{ Features []map[string]any }
	if err := json.Unmarshal(caseInput(t, "alerts-active-zone-flood-watch"), &c); err != nil {
		t.Fatal(err)
	}
	f := c.Features[0]
	if edit != nil {
		edit(f, f["properties"].(map[string]any))
	}
	b, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func collectionOf(features ...json.RawMessage) []byte {
	b, _ := json.Marshal(map[string]any{"type": "FeatureCollection", "features": features})
	return b
}

func parseFeatures(t *testing.T, features ...json.RawMessage) (collectors.Result, []error) {
	t.Helper()
	res, problems, err := newTestCollector(t, "", "", nil).mapper.parse(collectionOf(features...))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return res, problems
}

func vtecParam(s ...string) map[string]any { return map[string]any{"VTEC": s} }

func TestEndedAfterItsEnd(t *testing.T) {
	// An EXP sent after the event ended: kept as an expiry, its ends dropped.
	late := func(vtec string) json.RawMessage {
		return editedFeature(t, func(_, p map[string]any) {
			p["sent"], p["effective"] = "2019-12-22T10:05:00-08:00", "2019-12-22T10:05:00-08:00"
			p["parameters"] = vtecParam(vtec)
		})
	}
	res, problems := parseFeatures(t, late("/O.EXP.KPQR.FA.A.0004.000000T0000Z-191222T1800Z/"))
	if len(res.Items) != 1 || res.Items[0].Intent != collectors.IntentExpire {
		t.Fatalf("items = %s, problems %v; want one expire", golden.JSON(t, res.Items), problems)
	}
	golden.Eq(t, "ends", golden.RFC3339(res.Items[0].Alert.Ends), "<nil>")
	golden.Eq(t, "expires kept", golden.RFC3339(res.Items[0].Alert.Expires), "2019-12-21T05:30:00-08:00")
	key := res.Items[0].Alert.Key

	// The same times on an active item are nonsense: dropped as invalid, and
	// named as unreadable, so that the event is not taken for gone.
	res, problems = parseFeatures(t, late("/O.CON.KPQR.FA.A.0004.000000T0000Z-191222T1800Z/"))
	golden.Eq(t, "items", len(res.Items), 0)
	golden.Eq(t, "invalid", res.Dropped[collectors.DropInvalid], 1)
	golden.Eq(t, "unreadable", fmt.Sprint(res.Unreadable), fmt.Sprint([]string{key}))

	// A cancel that cannot be read keeps nothing alive: not named.
	bad := editedFeature(t, func(_, p map[string]any) {
		p["sent"] = "not a time"
		p["parameters"] = vtecParam("/O.CAN.KPQR.FA.A.0004.000000T0000Z-191222T1800Z/")
	})
	res, _ = parseFeatures(t, bad)
	golden.Eq(t, "cancel: invalid", res.Dropped[collectors.DropInvalid], 1)
	golden.Eq(t, "cancel: unreadable", len(res.Unreadable), 0)
	if len(problems) != 1 || !strings.Contains(problems[0].Error(), "ends") {
		t.Errorf("problems = %v, want one about ends", problems)
	}
}

func TestUnknownVTECAction(t *testing.T) {
	bad := editedFeature(t, func(_, p map[string]any) {
		p["parameters"] = vtecParam("/O.ZZZ.KPQR.FA.A.0004.000000T0000Z-191222T1800Z/")
	})
	res, problems := parseFeatures(t, bad)
	golden.Eq(t, "invalid", res.Dropped[collectors.DropInvalid], 1)
	if len(problems) != 1 || !strings.Contains(problems[0].Error(), `unknown action "ZZZ"`) {
		t.Errorf("problems = %v", problems)
	}
	// Beside a readable string, the unreadable one is skipped, not the feature.
	mixed := editedFeature(t, func(_, p map[string]any) {
		p["parameters"] = vtecParam("/O.ZZZ.KPQR.FA.Y.0001.000000T0000Z-191222T1800Z/", "/O.CON.KPQR.FA.A.0004.000000T0000Z-191222T1800Z/")
	})
	res, problems = parseFeatures(t, mixed)
	golden.Eq(t, "items", len(res.Items), 1)
	golden.Eq(t, "dropped", len(res.Dropped), 0)
	golden.Eq(t, "problems", len(problems), 1)
}

func TestStoryKey(t *testing.T) {
	ref := func(id, sent string) map[string]any {
		return map[string]any{"identifier": id, "sender": "w-nws.webmaster@noaa.gov", "sent": sent}
	}
	noVTEC := func(refs ...map[string]any) json.RawMessage {
		return editedFeature(t, func(_, p map[string]any) {
			p["parameters"] = map[string]any{}
			p["references"] = refs
		})
	}
	key := func(f json.RawMessage) string {
		t.Helper()
		res, problems := parseFeatures(t, f)
		if len(res.Items) != 1 {
			t.Fatalf("items = %d, problems %v", len(res.Items), problems)
		}
		return res.Items[0].Alert.Key
	}
	a, b := ref("B-2", "2019-12-18T12:29:00-08:00"), ref("A-1", "2019-12-18T20:29:00Z") // the same instant
	later := ref("0-later", "2019-12-19T12:29:00-08:00")
	unreadable := ref("Z-0", "long ago")
	const want = "nws:w-nws.webmaster@noaa.gov,A-1"
	golden.Eq(t, "key", key(noVTEC(later, a, b)), want)
	golden.Eq(t, "key, references reordered", key(noVTEC(b, unreadable, later, a)), want)
	golden.Eq(t, "key without references", key(noVTEC()), "nws:w-nws.webmaster@noaa.gov,NWS-IDP-PROD-3965873-3369046")

	res, problems := parseFeatures(t, editedFeature(t, func(_, p map[string]any) {
		p["parameters"], p["references"], p["sender"] = map[string]any{}, nil, nil
	}))
	golden.Eq(t, "no sender: invalid", res.Dropped[collectors.DropInvalid], 1)
	if len(problems) != 1 || !strings.Contains(problems[0].Error(), "sender or id is missing") {
		t.Errorf("problems = %v", problems)
	}
}

// TestFeedOrder checks that the order of features in the feed changes
// nothing: the segments of a product merge in id order, the latest sent wins
// wherever it comes.
func TestFeedOrder(t *testing.T) {
	for _, name := range []string{"product-segments", "same-event-latest-sent", "upgrade-advisory-to-warning"} {
		t.Run(name, func(t *testing.T) {
			var c map[string]any
			if err := json.Unmarshal(caseInput(t, name), &c); err != nil {
				t.Fatal(err)
			}
			want, _, err := runCase(t, name)
			if err != nil {
				t.Fatal(err)
			}
			features := c["features"].([]any)
			rng := rand.New(rand.NewPCG(1, 2))
			for range 10 {
				rng.Shuffle(len(features), func(i, j int) { features[i], features[j] = features[j], features[i] })
				body, _ := json.Marshal(c)
				got, _, err := newTestCollector(t, "", "", nil).mapper.parse(body)
				if err != nil {
					t.Fatal(err)
				}
				if golden.JSON(t, byKey(got)) != golden.JSON(t, byKey(want)) {
					t.Fatalf("feature order changed the items:\n%s", golden.JSON(t, got.Items))
				}
			}
		})
	}
}

func byKey(res collectors.Result) map[string]collectors.Item {
	m := map[string]collectors.Item{}
	for _, it := range res.Items {
		m[it.Alert.Key] = it
	}
	return m
}

func TestUnreadableFeatures(t *testing.T) {
	tests := []struct {
		name    string
		feature json.RawMessage
		drop    string // "" when the feature yields an item
		problem string
	}{
		{"not an object", json.RawMessage(`42`), collectors.DropInvalid, "cannot unmarshal"},
		{"null", json.RawMessage(`null`), collectors.DropInvalid, "no properties"},
		{"properties null", editedFeature(t, func(f, _ map[string]any) { f["properties"] = nil }), collectors.DropInvalid, "no properties"},
		{"properties an array", editedFeature(t, func(f, _ map[string]any) { f["properties"] = []any{} }), collectors.DropInvalid, "cannot unmarshal"},
		{"sent missing", editedFeature(t, func(_, p map[string]any) { delete(p, "sent") }), collectors.DropInvalid, "sent"},
		{"sent without offset", editedFeature(t, func(_, p map[string]any) { p["sent"] = "2019-12-20T13:34:00" }), collectors.DropInvalid, "sent"},
		{"expires unreadable", editedFeature(t, func(_, p map[string]any) { p["expires"] = "tomorrow" }), collectors.DropInvalid, "expires"},
		{"sent a number", editedFeature(t, func(_, p map[string]any) { p["sent"] = 1576877640 }), collectors.DropInvalid, "cannot unmarshal"},
		{"status unknown", editedFeature(t, func(_, p map[string]any) { p["status"] = "Real" }), collectors.DropInvalid, "status"},
		{"parameters not strings", editedFeature(t, func(_, p map[string]any) { p["parameters"] = map[string]any{"VTEC": []any{1}} }), collectors.DropInvalid, "array of strings"},
		{"geometry a Point", editedFeature(t, func(f, _ map[string]any) {
			f["geometry"] = map[string]any{"type": "Point", "coordinates": []float64{-122, 45}}
		}), collectors.DropInvalid, "geometry"},
		{"geometry empty MultiPolygon", editedFeature(t, func(f, _ map[string]any) {
			f["geometry"] = map[string]any{"type": "MultiPolygon", "coordinates": []any{}}
		}), collectors.DropInvalid, "no polygon"},
		{"ring outside [lon, lat] bounds", editedFeature(t, func(f, _ map[string]any) {
			f["geometry"] = map[string]any{"type": "Polygon", "coordinates": [][][]float64{{{45, -122}, {45.1, -122}, {45.1, -122.1}, {45, -122}}}}
		}), collectors.DropInvalid, "bounds"},
		{"ring too short", editedFeature(t, func(f, _ map[string]any) {
			f["geometry"] = map[string]any{"type": "Polygon", "coordinates": [][][]float64{{{-122, 45}, {-122.1, 45}, {-122, 45}}}}
		}), collectors.DropInvalid, "at least 4"},
		{"event missing", editedFeature(t, func(_, p map[string]any) { delete(p, "event") }), collectors.DropInvalid, "event is empty"},
		{"unmapped with a bad time", editedFeature(t, func(_, p map[string]any) {
			p["event"], p["parameters"], p["sent"] = "Wind Advisory", vtecParam("/O.NEW.KPQR.WI.Y.0001.000000T0000Z-191222T1800Z/"), "bad"
		}), collectors.DropUnmapped, ""},
		{"VTEC as a bare string", editedFeature(t, func(_, p map[string]any) {
			p["parameters"] = map[string]any{"VTEC": "/O.CON.KPQR.FA.A.0004.000000T0000Z-191222T1800Z/"}
		}), "", ""},
		{"nullable fields null", editedFeature(t, func(_, p map[string]any) {
			p["ends"], p["instruction"], p["headline"], p["onset"], p["geocode"], p["eventCode"] = nil, nil, nil, nil, nil, nil
		}), "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, problems := parseFeatures(t, tt.feature)
			if tt.drop == "" {
				if len(res.Items) != 1 || len(res.Dropped) != 0 {
					t.Fatalf("items %d, dropped %v, problems %v; want one item", len(res.Items), res.Dropped, problems)
				}
				return
			}
			golden.Eq(t, "items", len(res.Items), 0)
			golden.Eq(t, "dropped", fmt.Sprint(res.Dropped), fmt.Sprint(map[string]int{tt.drop: 1}))
			if tt.problem != "" && (len(problems) != 1 || !strings.Contains(problems[0].Error(), tt.problem)) {
				t.Errorf("problems = %v, want one mentioning %q", problems, tt.problem)
			}
		})
	}
}

func TestBodyErrors(t *testing.T) {
	tests := []struct {
		name, body, want string
	}{
		{"empty", ``, "malformed JSON"},
		{"null", `null`, `not a GeoJSON FeatureCollection (type "")`},
		{"array", `[]`, "not a GeoJSON FeatureCollection: json: cannot unmarshal array"},
		{"string", `"FeatureCollection"`, "not a GeoJSON FeatureCollection"},
		{"no features", `{"type":"FeatureCollection"}`, "without a features array"},
		{"features null", `{"type":"FeatureCollection","features":null}`, "without a features array"},
		{"features an object", `{"type":"FeatureCollection","features":{}}`, "not a GeoJSON FeatureCollection: json: cannot unmarshal object"},
		{"trailing garbage", `{"type":"FeatureCollection","features":[]} x`, "malformed JSON"},
		{"problem, status as text", `{"title":"Forbidden","status":"403","detail":"a User-Agent is required"}`,
			`problem document, status 403, title "Forbidden", detail "a User-Agent is required"`},
		{"problem, features wrong type", `{"type":"about:blank","title":"Oops","features":7}`, `title "Oops"`},
		{"other JSON", `{"hello":"world"}`, `not a GeoJSON FeatureCollection (type "")`},
	}
	m := newTestCollector(t, "", "", nil).mapper
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := m.parse([]byte(tt.body))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("parse(%s) error = %v, want %q", tt.body, err, tt.want)
			}
		})
	}
	_, _, err := m.parse(caseInput(t, "problem-json"))
	var pe *ProblemError
	if !errors.As(err, &pe) {
		t.Fatalf("error %v is not a *ProblemError", err)
	}
	want := ProblemError{Status: 400, Type: "https://api.weather.gov/problems/BadRequest", Title: "Bad Request",
		Detail:   `Parameter "area" is invalid: 'XX' does not match an allowed value`,
		Instance: "https://api.weather.gov/requests/1b7f6a3e", CorrelationID: "1b7f6a3e"}
	if *pe != want {
		t.Errorf("problem = %+v, want %+v", *pe, want)
	}
}

func TestByteOrderMark(t *testing.T) {
	body := append([]byte("\xef\xbb\xbf"), caseInput(t, "alerts-active-zone-flood-watch")...)
	res, _, err := newTestCollector(t, "", "", nil).mapper.parse(body)
	if err != nil || len(res.Items) != 1 {
		t.Fatalf("items %d, err %v; want the BOM skipped", len(res.Items), err)
	}
}

// TestHolesLeftOut: an area keeps the outer ring of each polygon of the
// feature's geometry (alert.Area.Polygons), and the alert's geometry is one
// polygon for each of those rings, whether the fast decoder reads the
// geometry (type first) or encoding/json does (coordinates first).
func TestHolesLeftOut(t *testing.T) {
	const (
		outer  = `[[-122.5,45.5],[-122,45.5],[-122,46],[-122.5,45.5]]`
		hole   = `[[-122.3,45.6],[-122.2,45.6],[-122.2,45.7],[-122.3,45.6]]`
		second = `[[-121.5,45.5],[-121,45.5],[-121,46],[-121.5,45.5]]`
		coords = `[[` + outer + `,` + hole + `],[` + second + `]]`
	)
	for name, geometry := range map[string]string{
		"type first":        `{"type":"MultiPolygon","coordinates":` + coords + `}`,
		"coordinates first": `{"coordinates":` + coords + `,"type":"MultiPolygon"}`,
	} {
		t.Run(name, func(t *testing.T) {
			res, problems := parseFeatures(t, editedFeature(t, func(f, _ map[string]any) {
				f["geometry"] = json.RawMessage(geometry)
			}))
			if len(res.Items) != 1 {
				t.Fatalf("items %d, dropped %v, problems %v; want one item", len(res.Items), res.Dropped, problems)
			}
			a := res.Items[0].Alert
			golden.Eq(t, "area polygons", golden.JSON(t, a.Areas[0].Polygons), golden.JSON(t, json.RawMessage(`[`+outer+`,`+second+`]`)))
			golden.Eq(t, "geometry", golden.JSON(t, a.Geometry), golden.JSON(t, json.RawMessage(`{"type":"MultiPolygon","coordinates":[[`+outer+`],[`+second+`]]}`)))
		})
	}
}

// TestStoryKeyExpiredReferences checks that a feature without VTEC keeps the
// key of its story when api.weather.gov has moved the story's first message
// from references to parameters.expiredReferences ("sender,identifier,sent"
// triples, FORMATS.md §2.3): the second message of a story (references: the
// first) and the third (references: the second; expiredReferences: the
// first) are one alert, not two.
func TestStoryKeyExpiredReferences(t *testing.T) {
	const sender = "w-nws.webmaster@noaa.gov"
	first := map[string]any{"identifier": "NWS-IDP-PROD-1-1", "sender": sender, "sent": "2019-12-18T12:29:00-08:00"}
	second := map[string]any{"identifier": "NWS-IDP-PROD-2-2", "sender": sender, "sent": "2019-12-19T12:29:00-08:00"}
	msg := func(refs []map[string]any, params map[string]any) json.RawMessage {
		return editedFeature(t, func(_, p map[string]any) {
			p["parameters"], p["references"] = params, refs
		})
	}
	key := func(f json.RawMessage) string {
		t.Helper()
		res, problems := parseFeatures(t, f)
		if len(res.Items) != 1 {
			t.Fatalf("items = %d, problems %v", len(res.Items), problems)
		}
		return res.Items[0].Alert.Key
	}
	want := key(msg([]map[string]any{first}, map[string]any{}))
	golden.Eq(t, "second message", want, "nws:"+sender+",NWS-IDP-PROD-1-1")
	golden.Eq(t, "third message", key(msg([]map[string]any{second}, map[string]any{
		"expiredReferences": []string{sender + ",NWS-IDP-PROD-1-1,2019-12-18T12:29:00-08:00"},
	})), want)
	// Several triples in one value, white space between them; malformed
	// ones are skipped.
	golden.Eq(t, "several triples in one value", key(msg([]map[string]any{second}, map[string]any{
		"expiredReferences": []string{"junk " + sender + ",NWS-IDP-PROD-1-1,2019-12-18T12:29:00-08:00\n" + sender + ",X,not-a-time"},
	})), want)
}
