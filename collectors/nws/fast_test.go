package nws

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/hazardwire/hazardwire/collectors/internal/golden"
)

// TestPropertyFields checks the fast decoder's properties.field against
// the json tags encoding/json reads.
func TestPropertyFields(t *testing.T) {
	var p properties
	v := reflect.ValueOf(&p).Elem()
	bits := uint32(0)
	for i := range v.NumField() {
		name, _, _ := strings.Cut(v.Type().Field(i).Tag.Get("json"), ",")
		bit, field := p.field([]byte(name))
		if field != v.Field(i).Addr().Interface() {
			t.Errorf("field(%q) does not fill %s", name, v.Type().Field(i).Name)
		}
		if bit == 0 || bits&bit != 0 {
			t.Errorf("field(%q) has bit %#x, not one of its own", name, bit)
		}
		bits |= bit
	}
	if _, field := p.field([]byte("ID")); field != nil {
		t.Error("field matches names whatever their case")
	}
}

// sameParse fails t unless parse (the fast decoder, where it takes the body)
// and parseSlow (encoding/json) read body the same: the same error, items,
// counts and problems.
func sameParse(t *testing.T, m *mapper, body []byte) {
	t.Helper()
	res, problems, err := m.parse(body)
	trimmed := bytes.TrimPrefix(body, []byte("\xef\xbb\xbf"))
	if !utf8.Valid(trimmed) {
		return // rejected before either decoder
	}
	wantRes, wantProblems, wantErr := m.parseSlow(trimmed)
	if got, want := fmt.Sprint(err), fmt.Sprint(wantErr); got != want {
		t.Fatalf("error = %s\nwant %s", got, want)
	}
	if got, want := resultJSON(t, res), resultJSON(t, wantRes); got != want {
		t.Fatalf("result = %s\nwant %s", got, want)
	}
	if got, want := fmt.Sprint(golden.ErrorsText(problems)), fmt.Sprint(golden.ErrorsText(wantProblems)); got != want {
		t.Fatalf("problems = %s\nwant %s", got, want)
	}
}

// resultJSON writes res as JSON, errors included (an alert JSON cannot hold
// is part of what must match).
func resultJSON(t *testing.T, res any) string {
	t.Helper()
	b, err := json.Marshal(res)
	if err != nil {
		return "error: " + err.Error()
	}
	return string(b)
}

// fastCaseFeature is a feature with every field the decoder reads, for
// fastCases to vary.
const fastCaseFeature = `{"id":"x","type":"Feature",
"geometry":{"type":"Polygon","coordinates":[[[-111.42,47.61],[-111.18,47.64],[-111.09,47.45],[-111.42,47.61]]]},
"properties":{"@id":"x","id":"urn:oid:1","areaDesc":"Cascade, MT","geocode":{"UGC":["MTC013"],"SAME":["030013"]},
"references":[{"@id":"r","identifier":"urn:oid:0","sender":"w-nws.webmaster@noaa.gov","sent":"2025-06-21T15:00:00-06:00"}],
"sent":"2025-06-21T16:42:00-06:00","effective":"2025-06-21T16:42:00-06:00","onset":"2025-06-21T16:42:00-06:00",
"expires":"2025-06-21T19:45:00-06:00","ends":"2025-06-21T19:45:00-06:00","status":"Actual","messageType":"Alert",
"severity":"Severe","certainty":"Likely","urgency":"Immediate","event":"Flash Flood Warning","sender":"w-nws.webmaster@noaa.gov",
"senderName":"NWS Great Falls MT","headline":null,"description":"At 442 PM MDT,\nheavy rain.","instruction":null,"response":"Avoid",
"parameters":{"NWSheadline":["FLASH FLOOD WARNING"],"BLOCKCHANNEL":["EAS","NWEM"],"VTEC":["/O.NEW.KTFX.FF.W.0007.250621T2242Z-250622T0145Z/"]},
"eventCode":{"SAME":["FFW"],"NationalWeatherService":["FFW"]},"language":"en-US","web":"http://www.weather.gov"}}`

// fastCases are variations of fastCaseFeature, each in a collection, at the
// edges of what the fast decoder reads: each must read as encoding/json
// reads it, whether the decoder takes it or gives it up.
var fastCases = map[string][2]string{
	"as is":                  {"", ""},
	"type after coordinates": {`"type":"Polygon","coordinates":[[[-111.42,47.61],[-111.18,47.64],[-111.09,47.45],[-111.42,47.61]]]`, `"coordinates":[[[-111.42,47.61],[-111.18,47.64],[-111.09,47.45],[-111.42,47.61]]],"type":"Polygon"`},
	"multipolygon":           {`"type":"Polygon","coordinates":[`, `"type":"MultiPolygon","coordinates":[[[[1,2],[3,4],[5,6],[1,2]]],`},
	"empty multipolygon":     {`"type":"Polygon","coordinates":[[[-111.42,47.61],[-111.18,47.64],[-111.09,47.45],[-111.42,47.61]]]`, `"type":"MultiPolygon","coordinates":[]`},
	"empty polygon":          {`[[[-111.42,47.61],[-111.18,47.64],[-111.09,47.45],[-111.42,47.61]]]`, `[]`},
	"empty ring":             {`[[[-111.42,47.61],[-111.18,47.64],[-111.09,47.45],[-111.42,47.61]]]`, `[[]]`},
	"3D position":            {`[-111.42,47.61],[-111.18`, `[-111.42,47.61,100],[-111.18`},
	"1D position":            {`[-111.42,47.61],[-111.18`, `[-111.42],[-111.18`},
	"null position":          {`[-111.42,47.61],[-111.18`, `null,[-111.18`},
	"string coordinate":      {`[-111.42,47.61],[-111.18`, `["-111.42",47.61],[-111.18`},
	"huge coordinate":        {`-111.18,47.64`, `-1e400,47.64`},
	"exponent coordinate":    {`-111.18,47.64`, `-1.1118E2,4764e-2`},
	"bad number":             {`-111.18,47.64`, `-111.,47.64`},
	"leading zero":           {`-111.18,47.64`, `-0111.18,47.64`},
	"point":                  {`"type":"Polygon"`, `"type":"Point"`},
	"geometry bbox":          {`"type":"Polygon",`, `"bbox":[1,2,3,4],"type":"Polygon",`},
	"geometry Type":          {`"type":"Polygon",`, `"Type":"Polygon",`},
	"geometry null":          {`"geometry":{"type":"Polygon","coordinates":[[[-111.42,47.61],[-111.18,47.64],[-111.09,47.45],[-111.42,47.61]]]}`, `"geometry":null`},
	"geometry string":        {`"geometry":{"type":"Polygon","coordinates":[[[-111.42,47.61],[-111.18,47.64],[-111.09,47.45],[-111.42,47.61]]]}`, `"geometry":"x"`},
	"geometry twice":         {`"geometry":{`, `"geometry":null,"geometry":{`},
	"Geometry":               {`"geometry":{`, `"Geometry":{`},
	"properties null":        {`"properties":{`, `"properties":null,"x":{`},
	"properties string":      {`"properties":{`, `"properties":"x","x":{`},
	"properties twice":       {`"properties":{`, `"properties":{"event":"Heat Advisory"},"properties":{`},
	"feature null":           {fastCaseFeature, `null`},
	"feature number":         {fastCaseFeature, `12`},
	"feature array":          {fastCaseFeature, `[1,{"a":"]"}]`},
	"id twice":               {`"id":"urn:oid:1",`, `"id":"urn:oid:1","id":"urn:oid:2",`},
	"ID":                     {`"id":"urn:oid:1",`, `"ID":"urn:oid:1",`},
	"kelvin":                 {`"@id":"x",`, `"\u212a":"x","\u212aey":"y",`},
	"escaped key":            {`"id":"urn:oid:1",`, `"\u0069d":"urn:oid:1",`},
	"escapes":                {`"Cascade, MT"`, `"Cas\"cade\\ \/ \b\f\n\r\t MT"`},
	"unicode escape":         {`"Cascade, MT"`, `"Cas\u00e9cade \ud83d\ude00 \ud800 MT"`},
	"lone surrogate":         {`"Cascade, MT"`, `"\udc00\ud800x"`},
	"bad escape":             {`"Cascade, MT"`, `"Cas\xcade"`},
	"control character":      {`"Cascade, MT"`, "\"Cas\tcade\""},
	"number for string":      {`"status":"Actual"`, `"status":1`},
	"null status":            {`"status":"Actual"`, `"status":null`},
	"status twice":           {`"status":"Actual"`, `"status":"Actual","status":"Test"`},
	"strList string":         {`"BLOCKCHANNEL":["EAS","NWEM"]`, `"BLOCKCHANNEL":"EAS"`},
	"strList null":           {`"BLOCKCHANNEL":["EAS","NWEM"]`, `"BLOCKCHANNEL":null`},
	"strList with null":      {`"BLOCKCHANNEL":["EAS","NWEM"]`, `"BLOCKCHANNEL":["EAS",null]`},
	"strList empty":          {`"BLOCKCHANNEL":["EAS","NWEM"]`, `"BLOCKCHANNEL":[]`},
	"strList number":         {`"BLOCKCHANNEL":["EAS","NWEM"]`, `"BLOCKCHANNEL":[1]`},
	"strList object":         {`"BLOCKCHANNEL":["EAS","NWEM"]`, `"BLOCKCHANNEL":{}`},
	"parameter twice":        {`"BLOCKCHANNEL":["EAS","NWEM"]`, `"BLOCKCHANNEL":["EAS"],"BLOCKCHANNEL":["NWEM"]`},
	"parameters null":        {`"parameters":{`, `"parameters":null,"x":{`},
	"parameters array":       {`"parameters":{`, `"parameters":[],"x":{`},
	"geocode twice":          {`"geocode":{`, `"geocode":{"FIPS":["1"]},"geocode":{`},
	"references null":        {`"references":[{`, `"references":null,"x":[{`},
	"references empty":       {`"references":[{`, `"references":[],"x":[{`},
	"reference null":         {`"references":[{`, `"references":[null,{`},
	"reference string":       {`"references":[{`, `"references":["x",{`},
	"reference Sent":         {`"sent":"2025-06-21T15:00:00-06:00"}]`, `"Sent":"2025-06-21T15:00:00-06:00"}]`},
	"reference twice":        {`"identifier":"urn:oid:0",`, `"identifier":"urn:oid:0","identifier":"urn:oid:9",`},
	"no VTEC":                {`"VTEC":["/O.NEW.KTFX.FF.W.0007.250621T2242Z-250622T0145Z/"]`, `"X":[]`},
	"upgrade":                {`"VTEC":["/O.NEW.KTFX.FF.W.0007.250621T2242Z-250622T0145Z/"]`, `"VTEC":["/O.UPG.KTFX.FA.Y.0012.000000T0000Z-250621T2215Z/","/O.NEW.KTFX.FF.W.0007.250621T2242Z-250622T0145Z/"]`},
	"bad time":               {`"sent":"2025-06-21T16:42:00-06:00"`, `"sent":"2025-06-21 16:42"`},
	"open ring":              {`[-111.42,47.61]]]`, `[-111.41,47.61]]]`},
	"deep nesting":           {`"@id":"x",`, `"@id":` + strings.Repeat("[", 1200) + strings.Repeat("]", 1200) + `,`},
	"true false":             {`"@id":"x",`, `"a":true,"b":false,"c":[true,false,null,-0.5e+3],`},
	"bad literal":            {`"@id":"x",`, `"a":tru,`},
	"trailing comma":         {`"@id":"x",`, `"a":[1,],`},
	"unbalanced in string":   {`"@id":"x",`, `"a":"}]\"}",`},
	"missing colon":          {`"@id":"x",`, `"a" 1,`},
	"white space":            {`"@id":"x",`, " \t\r\n\"a\" \t\r\n: \t\r\n[ 1 , 2 ] ,\n"},
	"NUL":                    {`"@id":"x",`, "\"a\":1\x00,"},
	"utf8 key and value":     {`"@id":"x",`, `"é":"ü",`},
	"escaped event":          {`"event":"Flash Flood Warning"`, `"event":"Flash Flood \u0057arning"`},
}

// fastTopCases are collections around fastCaseFeature, written @F@.
var fastTopCases = map[string]string{
	"plain":             `{"type":"FeatureCollection","features":[@F@,@F@]}`,
	"type last":         `{"features":[@F@],"type":"FeatureCollection","title":"x"}`,
	"no type":           `{"features":[@F@]}`,
	"type twice":        `{"type":"FeatureCollection","type":"FeatureCollection","features":[@F@]}`,
	"features twice":    `{"type":"FeatureCollection","features":[@F@],"features":[@F@,@F@]}`,
	"Features":          `{"type":"FeatureCollection","Features":[@F@]}`,
	"features null":     `{"type":"FeatureCollection","features":null}`,
	"features empty":    `{"type":"FeatureCollection","features":[]}`,
	"features object":   `{"type":"FeatureCollection","features":{}}`,
	"escaped type":      `{"type":"Feature\u0043ollection","features":[@F@]}`,
	"type Feature":      `{"type":"Feature","features":[@F@]}`,
	"graph":             `{"@graph":[],"type":"FeatureCollection","features":[@F@]}`,
	"trailing garbage":  `{"type":"FeatureCollection","features":[@F@]} x`,
	"trailing space":    "{\"type\":\"FeatureCollection\",\"features\":[@F@]}\n\t ",
	"BOM":               "\xef\xbb\xbf{\"type\":\"FeatureCollection\",\"features\":[@F@]}",
	"unclosed":          `{"type":"FeatureCollection","features":[@F@`,
	"unclosed feature":  `{"type":"FeatureCollection","features":[{"a":"}"`,
	"bracket mismatch":  `{"type":"FeatureCollection","features":[{"a":[}],@F@]}`,
	"array top":         `[@F@]`,
	"problem":           `{"type":"about:blank","title":"Bad Request","status":400,"detail":"x"}`,
	"same id segments":  `{"type":"FeatureCollection","features":[@F@,@F@,@F@]}`,
	"many (parallel)":   `{"type":"FeatureCollection","features":[` + strings.Repeat("@F@,", 199) + `@F@]}`,
	"many, one invalid": `{"type":"FeatureCollection","features":[` + strings.Repeat("@F@,", 150) + `{"a":1,}` + strings.Repeat(",@F@", 50) + `]}`,
	"many, one odd":     `{"type":"FeatureCollection","features":[` + strings.Repeat("@F@,", 150) + `{"properties":{"status":1}}` + strings.Repeat(",@F@", 50) + `]}`,
}

// fastBodies returns every fastCases feature in every fastTopCases
// collection.
func fastBodies() map[string][]byte {
	out := map[string][]byte{}
	for name, c := range fastCases {
		f := strings.Replace(fastCaseFeature, c[0], c[1], 1)
		if c[0] != "" && f == fastCaseFeature {
			panic("fastCases[" + name + "] changes nothing")
		}
		for top, body := range fastTopCases {
			out[name+" in "+top] = []byte(strings.ReplaceAll(body, "@F@", f))
		}
	}
	return out
}

// TestParseFastMatchesSlow checks that the fast decoder reads every edge
// case, and every golden input, as encoding/json does.
func TestParseFastMatchesSlow(t *testing.T) {
	m := newTestCollector(t, "", "events:\n  Storm Surge Warning: flood\n", nil).mapper
	for name, body := range fastBodies() {
		t.Run(name, func(t *testing.T) { sameParse(t, &m, body) })
	}
	for i, body := range golden.Inputs(t, "*.json", "*/input.json") {
		t.Run(fmt.Sprint("golden ", i), func(t *testing.T) { sameParse(t, &m, body) })
	}
	large := largeCollection(300)
	t.Run("large", func(t *testing.T) { sameParse(t, &m, large) })
}

// FuzzParseFast checks that the fast decoder reads whatever it is given as
// encoding/json does, seeded with the edge cases and every testdata input.
func FuzzParseFast(f *testing.F) {
	for _, b := range fastBodies() {
		f.Add(b)
	}
	for _, b := range golden.Inputs(f, "*.json", "*/input.json") {
		f.Add(b)
	}
	m := newTestCollector(f, "", "events:\n  Storm Surge Warning: flood\n", nil).mapper
	f.Fuzz(func(t *testing.T, body []byte) { sameParse(t, &m, body) })
}

// TestFastDecoderTakesNWSAnswers checks that the fast decoder reads every
// feature of the golden answers itself, geometry included: giving them up to
// encoding/json would still be correct, only slow.
func TestFastDecoderTakesNWSAnswers(t *testing.T) {
	bodies := map[string][]byte{"large": largeCollection(10)}
	for name := range cases {
		if _, err := os.Stat(filepath.Join(golden.At(name).Dir, "expected.json")); err == nil {
			bodies[name] = caseInput(t, name)
		}
	}
	for name, body := range bodies {
		spans, ok := splitFeatures(body)
		if !ok {
			t.Errorf("%s: the fast decoder gives up the collection", name)
		}
		for i, s := range spans {
			f, ok := decodeFeature(body[s.start:s.end], nil)
			switch {
			case !ok:
				t.Errorf("%s: the fast decoder gives up feature %d", name, i)
			case f.geo == nil && string(f.Geometry) != "null":
				t.Errorf("%s: the fast decoder gives up the geometry of feature %d: %s", name, i, f.Geometry)
			}
		}
	}
}

// TestFastItemsShareNoSlices checks that the alerts of a large answer,
// decoded on several goroutines that reuse their scratch from feature to
// feature, share no slice: each item's lists and positions are overwritten
// with a mark of its own, and every item must then hold only its own mark.
func TestFastItemsShareNoSlices(t *testing.T) {
	m := newTestCollector(t, "", "", nil).mapper
	res, _, err := m.parse(largeCollection(300))
	if err != nil || len(res.Items) != 300 {
		t.Fatalf("parse: %d items, %v", len(res.Items), err)
	}
	lists := func(i int) (out [][]string) {
		a := &res.Items[i].Alert
		for _, m := range []map[string][]string{a.Parameters, a.EventCodes, a.Areas[0].Geocodes} {
			for _, vs := range m {
				out = append(out, vs)
			}
		}
		return out
	}
	for i := range res.Items {
		mark := fmt.Sprint("item ", i)
		for _, vs := range lists(i) {
			for k := range vs {
				vs[k] = mark
			}
		}
		for _, ring := range res.Items[i].Alert.Areas[0].Polygons {
			for k := range ring {
				ring[k] = [2]float64{float64(i), float64(i)}
			}
		}
	}
	for i := range res.Items {
		mark := fmt.Sprint("item ", i)
		for _, vs := range lists(i) {
			for _, v := range vs {
				if v != mark {
					t.Fatalf("item %d holds %q", i, v)
				}
			}
		}
		for _, ring := range res.Items[i].Alert.Areas[0].Polygons {
			for _, p := range ring {
				if p != [2]float64{float64(i), float64(i)} {
					t.Fatalf("item %d holds position %v", i, p)
				}
			}
		}
	}
}
