package alert_test

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"flag"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/hazardwire/hazardwire/alert"
)

var updateCAP = flag.Bool("update", false, "rewrite the golden files in testdata/capxml")

const capSender = "hazardwire@example.org"

// capCase is one golden input: an alert and the sent times EncodeCAP may look
// up for its references.
type capCase struct {
	SentOf map[string]time.Time `json:"sentOf"`
	Alert  alert.Alert          `json:"alert"`
}

func (c capCase) options() alert.CAPOptions {
	return alert.CAPOptions{Sender: capSender, SentOf: func(id string) (time.Time, bool) {
		t, ok := c.SentOf[id]
		return t, ok
	}}
}

// encodeCases encodes every testdata/capxml/*.json case, by case name.
func encodeCases(t *testing.T) map[string][]byte {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "capxml", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden cases: %v", err)
	}
	out := map[string][]byte{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var c capCase
		if err := json.Unmarshal(b, &c); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		doc, err := alert.EncodeCAP(&c.Alert, c.options())
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		checkRoundTrip(t, &c.Alert, doc)
		out[strings.TrimSuffix(filepath.Base(f), ".json")] = doc
	}
	return out
}

func TestEncodeCAPGolden(t *testing.T) {
	for name, doc := range encodeCases(t) {
		golden := filepath.Join("testdata", "capxml", name+".xml")
		if *updateCAP {
			if err := os.WriteFile(golden, doc, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatalf("%v (run go test ./alert -run TestEncodeCAPGolden -update)", err)
		}
		if !bytes.Equal(doc, want) {
			t.Errorf("%s: output differs from %s:\n%s", name, golden, doc)
		}
	}
}

func TestEncodeCAPGoldenIsDeterministic(t *testing.T) {
	first := encodeCases(t)
	for range 5 {
		if again := encodeCases(t); !maps.EqualFunc(first, again, bytes.Equal) {
			t.Fatal("two encodings of the same alerts differ")
		}
	}
}

// TestEncodeCAPKeyFields pins what partners rely on, beside the goldens.
func TestEncodeCAPKeyFields(t *testing.T) {
	docs := encodeCases(t)
	for _, c := range []struct{ doc, want string }{
		{"nws-flood-new", "<msgType>Alert</msgType>"},
		{"nws-flood-new", "<polygon>26.43,-97.53 26.43,-97.19 26.07,-97.19 26.07,-97.53 26.43,-97.53</polygon>"},
		{"nws-flood-new", "<circle>26.1118,-97.1657 5.5</circle>"},
		{"nws-flood-new", "<sent>2024-06-19T21:43:00-05:00</sent>"},
		{"nws-flood-new", "<expires>2024-06-20T09:45:00-05:00</expires>"}, // the later of expires and ends
		{"nws-flood-new", "<category>Met</category>"},
		{"nws-flood-new", "<description>* WHAT...Flooding caused by excessive rainfall is expected.\n\n* WHERE"},
		{"nws-flood-update", "<msgType>Update</msgType>"},
		{"nws-flood-update", "<references>hazardwire@example.org,urn:hazardwire:nws:KBRO.FA.W.0003.2024%231,2024-06-19T21:43:00-05:00</references>"},
		{"nws-flood-cancel", "<msgType>Cancel</msgType>"},
		{"nws-flood-cancel", "<responseType>AllClear</responseType>"},
		// #2's sent is unknown to SentOf: the cancel's own sent stands in.
		{"nws-flood-cancel", "%232,2024-06-20T05:30:00-05:00</references>"},
		{"kma-heat-new", "<sent>2024-08-02T10:00:00+09:00</sent>"},
		{"kma-heat-new", "<language>ko-KR</language>"},
		{"kma-heat-new", "<event>폭염경보</event>"},
		{"kma-heat-new", "야외활동을 자제하세요 &lt;중요&gt; &amp; 물을"},
		{"kma-heat-expire", "<msgType>Cancel</msgType>"},
		{"kma-heat-expire", "<note>Expired: "},
		{"cap-tricky-update", "<sent>2024-07-10T07:30:15+09:00</sent>"}, // fraction dropped
		{"cap-tricky-update", "<language>ko-KR</language>"},             // from ko_KR
		{"cap-tricky-update", "<areaDesc>SIG 11680, SIG 11650</areaDesc>"},
		{"cap-tricky-update", "<web>https://example.kr/alert%20page?id=1&amp;lang=ko#top%23again</web>"},
		{"kma-heat-new", "<web>https://www.weather.go.kr/w/weather/warning/status.do?%ED%8A%B9%EB%B3%B4=%ED%8F%AD%EC%97%BC</web>"},
		{"cap-tricky-update", "<headline>a &lt; b &amp;&amp; c &gt; d; 'quoted' \"double\" &#xD;\nCRLF kept</headline>"},
		{"gauge-derived-new", "<sent>2024-02-03T14:15:16+00:00</sent>"},
		{"gauge-derived-new", "<circle>51.5,0 0</circle>"},
		{"gauge-derived-new", "<areaDesc>unknown</areaDesc>"},
		{"gauge-derived-new", "<note>Derived by hazardwire"},
		{"minimal-cancel-unseen", "<msgType>Cancel</msgType>"},
	} {
		if !strings.Contains(string(docs[c.doc]), c.want) {
			t.Errorf("%s lacks %q:\n%s", c.doc, c.want, docs[c.doc])
		}
	}
	if n := strings.Count(string(docs["nws-flood-new"]), "<polygon>"); n != 2 {
		t.Errorf("nws-flood-new has %d polygons, want 2 (one for each ring)", n)
	}
	for name, doc := range docs {
		if !bytes.HasPrefix(doc, []byte(`<?xml version="1.0" encoding="UTF-8"?>`+"\n"+`<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">`)) {
			t.Errorf("%s: bad prologue: %.120s", name, doc)
		}
		if bytes.Contains(doc, []byte("Z</")) || bytes.Contains(doc, []byte("<language></language>")) {
			t.Errorf("%s: a Z time or an empty language:\n%s", name, doc)
		}
	}
	if strings.Contains(string(docs["minimal-cancel-unseen"]), "<references>") {
		t.Error("a cancel of an unseen key has no references to write")
	}
}

func TestEncodeCAPMsgType(t *testing.T) {
	for _, c := range []struct {
		change            alert.Change
		msgType, response string
		note              string
	}{
		{alert.ChangeNew, "Alert", "", ""},
		{alert.ChangeUpdate, "Update", "", ""},
		{alert.ChangeCancel, "Cancel", "AllClear", "Cancelled by the issuing agency."},
		{alert.ChangeExpire, "Cancel", "AllClear", "Expired: its end passed or its source stopped listing it; not cancelled by the issuing agency."},
	} {
		a := capAlert()
		a.Change = c.change
		d := decodeCAP(t, encode(t, a))
		if d.MsgType != c.msgType || strings.Join(d.Info[0].ResponseType, " ") != c.response || d.Note != c.note {
			t.Errorf("%s: msgType %q responseType %q note %q, want %q %q %q",
				c.change, d.MsgType, d.Info[0].ResponseType, d.Note, c.msgType, c.response, c.note)
		}
	}
}

func TestEncodeCAPTimes(t *testing.T) {
	lmt := time.FixedZone("LMT", 8*3600+27*60+52) // Seoul's local mean time
	for _, c := range []struct {
		sent time.Time
		want string
	}{
		{time.Date(2024, 8, 2, 10, 0, 0, 0, alert.KST), "2024-08-02T10:00:00+09:00"},
		{time.Date(2024, 8, 2, 10, 0, 0, 999_999_999, time.UTC), "2024-08-02T10:00:00+00:00"},
		{time.Date(2024, 8, 2, 10, 0, 0, 0, time.FixedZone("", -(3*3600+30*60))), "2024-08-02T10:00:00-03:30"},
		{time.Date(2024, 8, 2, 10, 0, 0, 0, time.FixedZone("", 14*3600)), "2024-08-02T10:00:00+14:00"},
		{time.Date(1900, 1, 1, 8, 27, 52, 0, lmt), "1900-01-01T00:00:00+00:00"},
		{time.Date(2024, 1, 1, 15, 0, 0, 0, time.FixedZone("", 15*3600)), "2024-01-01T00:00:00+00:00"},
	} {
		a := capAlert()
		a.Sent = c.sent
		if got := decodeCAP(t, encode(t, a)).Sent; got != c.want {
			t.Errorf("sent %v: got %q, want %q", c.sent, got, c.want)
		}
	}
}

func TestEncodeCAPErrors(t *testing.T) {
	bad := map[string]func(*alert.Alert, *alert.CAPOptions){
		"no sender":          func(_ *alert.Alert, o *alert.CAPOptions) { o.Sender = "" },
		"sender with comma":  func(_ *alert.Alert, o *alert.CAPOptions) { o.Sender = "a,b" },
		"sender with space":  func(_ *alert.Alert, o *alert.CAPOptions) { o.Sender = "hazard wire" },
		"no id":              func(a *alert.Alert, _ *alert.CAPOptions) { a.ID = "" },
		"bad change":         func(a *alert.Alert, _ *alert.CAPOptions) { a.Change = "ack" },
		"bad status":         func(a *alert.Alert, _ *alert.CAPOptions) { a.Status = "Actual" },
		"bad severity":       func(a *alert.Alert, _ *alert.CAPOptions) { a.Severity = "" },
		"bad certainty":      func(a *alert.Alert, _ *alert.CAPOptions) { a.Certainty = "very likely" },
		"no sent":            func(a *alert.Alert, _ *alert.CAPOptions) { a.Sent = time.Time{} },
		"year 10000":         func(a *alert.Alert, _ *alert.CAPOptions) { a.Onset = ptr(time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)) },
		"language":           func(a *alert.Alert, _ *alert.CAPOptions) { a.Language = "ko KR" },
		"open ring":          func(a *alert.Alert, _ *alert.CAPOptions) { a.Areas[0].Polygons[0][3] = [2]float64{1, 1} },
		"circle out of band": func(a *alert.Alert, _ *alert.CAPOptions) { a.Areas[0].Circles[0].Lat = 91 },
		"empty reference":    func(a *alert.Alert, _ *alert.CAPOptions) { a.References = []string{""} },
	}
	for name, breakIt := range bad {
		a, o := capAlert(), alert.CAPOptions{Sender: capSender}
		breakIt(a, &o)
		if doc, err := alert.EncodeCAP(a, o); err == nil {
			t.Errorf("%s: no error; wrote\n%s", name, doc)
		}
	}
	if _, err := alert.EncodeCAP(nil, alert.CAPOptions{Sender: capSender}); err == nil {
		t.Error("nil alert: no error")
	}
}

func TestEncodeCAPWeb(t *testing.T) {
	for web, want := range map[string]string{
		"https://x.example/a?b=1&c=2#d": "https://x.example/a?b=1&amp;c=2#d",
		"http://x/?a=%zz&b=[1]#f#g":     "http://x/?a=%25zz&amp;b=%5B1%5D#f%23g",
		"HTTPS://예시.kr/경보 1?q=\"<>\"":   "HTTPS://%EC%98%88%EC%8B%9C.kr/%EA%B2%BD%EB%B3%B4%201?q=%22%3C%3E%22",
		"javascript:alert(1)":           "",
		"mailto:ops@example.org":        "",
		"//x.example/relative":          "",
		"not a link":                    "",
	} {
		a := capAlert()
		a.Web = web
		doc := string(encode(t, a))
		if got := strings.Contains(doc, "<web>"+want+"</web>"); want != "" && !got || want == "" && strings.Contains(doc, "<web>") {
			t.Errorf("web %q: want %q in\n%s", web, want, doc)
		}
	}
}

// TestCAPIdentifierInjective checks that tricky ids map to distinct, legal
// identifiers that read back as the id.
func TestCAPIdentifierInjective(t *testing.T) {
	ids := []string{
		"nws:KBRO.FA.W.0003.2024#1", "nws:KBRO.FA.W.0003.2024#2", "nws:KBRO.FA.W.0003.2024#12",
		"cap:a@b.org,ID-1/en-US#1", "cap:a@b.org,ID-1/en-US %231#1", "cap:a@b.org%2CID-1/en-US#1",
		"cap:a@b.org ID-1/en-US#1", "cap:a@b.org\tID-1/en-US#1", "cap:a@b.org,ID 1/en-US#1",
		"kma:L1100200/폭염경보#1", "kma:L1100200/폭염 경보#1", "kma:L1100200/호우경보#1",
		"x:a&b<c>#1", "x:a%26b%3Cc%3E#1", "x:a%#1", "x:a%25#1", "/x#1", "%2Fx#1", "x:?q=1#1",
		"x:a/b#1", "x:a%2Fb#1", "x:#1#1", "x:%231#1", "x:\xff\xfe#1", "x:\u00e9#1", "x:e\u0301#1",
	}
	seen := map[string]string{}
	for _, id := range ids {
		ident := alert.CAPIdentifier(id)
		if prev, dup := seen[ident]; dup {
			t.Errorf("%q and %q share identifier %q", prev, id, ident)
		}
		seen[ident] = id
		if strings.ContainsAny(ident, " \t\n,<&#?") || !isASCIIPrintable(ident) {
			t.Errorf("identifier %q of %q holds a character CAP or a URN forbids", ident, id)
		}
		if back, ok := alert.ParseCAPIdentifier(ident); !ok || back != id {
			t.Errorf("ParseCAPIdentifier(%q) = %q, %v; want %q", ident, back, ok, id)
		}
	}
	for _, s := range []string{"nws:x#1", "urn:hazardwire:x%2a", "urn:hazardwire:x%2", "urn:hazardwire:/x", "urn:hazardwire:a%41", "urn:hazardwire:a b"} {
		if id, ok := alert.ParseCAPIdentifier(s); ok {
			t.Errorf("ParseCAPIdentifier(%q) accepted a non-canonical identifier as %q", s, id)
		}
	}
}

// TestEncodeCAPSchema validates the goldens and hostile alerts against the
// OASIS XSD, and shows that the validator does reject a bad document.
func TestEncodeCAPSchema(t *testing.T) {
	xmllint := requireXmllint(t)
	dir := t.TempDir()
	var files []string
	write := func(name string, doc []byte) {
		f := filepath.Join(dir, name+".xml")
		if err := os.WriteFile(f, doc, 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	for name, doc := range encodeCases(t) {
		write(name, doc)
	}
	for i, a := range hostileAlerts() {
		doc := encode(t, a)
		checkRoundTrip(t, a, doc)
		write("hostile-"+string(rune('a'+i)), doc)
	}
	args := append([]string{"--noout", "--nonet", "--schema", filepath.Join("testdata", "cap12.xsd")}, files...)
	if out, err := exec.Command(xmllint, args...).CombinedOutput(); err != nil {
		t.Fatalf("xmllint: %v\n%s", err, out)
	}
	zulu := bytes.Replace(encode(t, capAlert()), []byte("+09:00</sent>"), []byte("Z</sent>"), 1)
	write("zulu", zulu)
	if out, err := exec.Command(xmllint, "--noout", "--nonet", "--schema", filepath.Join("testdata", "cap12.xsd"), files[len(files)-1]).CombinedOutput(); err == nil {
		t.Fatalf("xmllint accepted a Z time, so it validates nothing:\n%s", out)
	}
}

func requireXmllint(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("xmllint")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("CI must install xmllint (Debian's libxml2-utils) to validate CAP output against the XSD")
		}
		t.Skip("xmllint not on PATH (apt-get install libxml2-utils): CAP output not validated against the XSD")
	}
	return path
}

// hostileAlerts are valid alerts with text, times and links at the edges of
// what CAP can carry.
func hostileAlerts() []*alert.Alert {
	var out []*alert.Alert
	add := func(f func(a *alert.Alert)) { a := capAlert(); f(a); out = append(out, a) }
	add(func(a *alert.Alert) {
		a.Headline, a.Description = "bell\a nul\x00 bad\xff utf8 \ufffe", "]]> <![CDATA[ &#x1; &amp;"
	})
	add(func(a *alert.Alert) { a.Web, a.Event = "http://x/?a=%zz&b=[1]#f#g", "" })
	add(func(a *alert.Alert) { a.Web, a.Language = "not a link", "x-klingon-ABCDEFGH" })
	add(func(a *alert.Alert) { a.Web, a.Hazard = "https://예시.kr/경보 1?q=\"<>\"", "storm" })
	add(func(a *alert.Alert) {
		a.Sent = time.Date(1, 1, 1, 0, 0, 1, 0, time.UTC)
		a.Expires = ptr(time.Date(9999, 12, 31, 23, 59, 59, 999, time.FixedZone("", -14*3600)))
	})
	add(func(a *alert.Alert) {
		a.Areas = append(a.Areas, alert.Area{Polygons: [][][2]float64{{{180, -90}, {-180, 90}, {1e-9, -1e-7}, {180, -90}}}})
		a.Parameters = map[string][]string{"": {""}, " ": {"\r\n"}}
	})
	return out
}

// capAlert is a valid alert with one area holding a polygon and a circle.
func capAlert() *alert.Alert {
	sent := time.Date(2024, 8, 2, 10, 0, 0, 0, alert.KST)
	return &alert.Alert{
		ID: "kma:L1100200/heat#2", Key: "kma:L1100200/heat", Version: 2, Change: alert.ChangeUpdate, State: alert.StateActive,
		Source: "kma", Hazard: alert.HazardHeat, Event: "폭염경보", Status: alert.StatusActual,
		Severity: alert.SeveritySevere, Urgency: alert.UrgencyImmediate, Certainty: alert.CertaintyObserved,
		Sent: sent, Language: "ko-KR", References: []string{"kma:L1100200/heat#1"},
		Areas: []alert.Area{{
			Description: "서울동남권", Geocodes: map[string][]string{"KMA": {"L1100200"}},
			Polygons: [][][2]float64{{{127, 37.5}, {127.1, 37.5}, {127.1, 37.6}, {127, 37.5}}},
			Circles:  []alert.Circle{{Lon: 127.05, Lat: 37.52, RadiusKm: 3}},
		}},
	}
}

func encode(t testing.TB, a *alert.Alert) []byte {
	t.Helper()
	doc, err := alert.EncodeCAP(a, alert.CAPOptions{Sender: capSender})
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func ptr[T any](v T) *T { return &v }

func isASCIIPrintable(s string) bool {
	return !strings.ContainsFunc(s, func(r rune) bool { return r < 0x21 || r > 0x7e })
}

// FuzzEncodeCAP builds alerts from fuzzed strings and numbers: EncodeCAP must
// not panic, and what it writes must be well-formed XML that reads back.
func FuzzEncodeCAP(f *testing.F) {
	f.Add("kma:L1100200/폭염#1", "폭염경보", "a < b & c", "ko-KR", "서울", "KMA", "https://x.kr/?a=1&b=2", 37.5, 127.0, 9*3600)
	f.Add("cap:s,i d/en#2", "]]>", "\r\n\x00\xff", "en_US", "", "", "%zz#a#b", -90.0, 180.0, -3*3600-1)
	f.Fuzz(func(t *testing.T, id, event, text, lang, desc, code, web string, lat, lon float64, off int) {
		a := capAlert()
		a.ID, a.Event, a.Headline, a.Description, a.Language, a.Web = id, event, text, text+desc, lang, web
		if a.ID == "" {
			a.ID = "-" // EncodeCAP's only refusal that no field below can fix
		}
		a.Change = alert.Changes[len(id)%len(alert.Changes)]
		a.Sent = a.Sent.In(time.FixedZone(code, off%(30*3600)))
		a.References = []string{a.ID + code} // an id, never empty, as the lifecycle writes them
		a.EventCodes = map[string][]string{code: {event, text}}
		a.Parameters = map[string][]string{desc: {code}, text: {}}
		a.Areas = append(a.Areas, alert.Area{Description: desc, Geocodes: map[string][]string{code: {desc}},
			Circles: []alert.Circle{{Lon: lon, Lat: lat, RadiusKm: lat * lat}}})
		doc, err := alert.EncodeCAP(a, alert.CAPOptions{Sender: capSender})
		if err != nil { // only the language and the circle can be invalid
			a.Language, a.Areas = "en", a.Areas[:1]
			if doc, err = alert.EncodeCAP(a, alert.CAPOptions{Sender: capSender}); err != nil {
				t.Fatalf("valid alert: %v", err)
			}
		}
		d := xml.NewDecoder(bytes.NewReader(doc))
		for {
			if _, err := d.Token(); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				t.Fatalf("not well-formed: %v\n%s", err, doc)
			}
		}
		checkRoundTrip(t, a, doc)
		if id != code && alert.CAPIdentifier(id) == alert.CAPIdentifier(code) {
			t.Fatalf("ids %q and %q share an identifier", id, code)
		}
	})
}

// plain reports whether XML carries s unchanged.
func plain(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsFunc(s, func(r rune) bool {
		return r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0xFFFE || r == 0xFFFF
	})
}

// checkRoundTrip reads doc back with encoding/xml and checks it against a.
func checkRoundTrip(t testing.TB, a *alert.Alert, doc []byte) {
	t.Helper()
	d := decodeCAP(t, doc)
	if id, ok := alert.ParseCAPIdentifier(d.Identifier); !ok || id != a.ID {
		t.Errorf("identifier %q reads back as %q, %v; want %q", d.Identifier, id, ok, a.ID)
	}
	if sent, err := alert.ParseTime(d.Sent); err != nil || !sent.Equal(a.Sent.Truncate(time.Second)) {
		t.Errorf("sent %q, want %v (%v)", d.Sent, a.Sent, err)
	}
	want := map[alert.Change]string{"new": "Alert", "update": "Update", "cancel": "Cancel", "expire": "Cancel"}[a.Change]
	if d.Sender != capSender || d.MsgType != want || d.Status != alert.CAPName(a.Status) || d.Scope != "Public" || len(d.Info) != 1 {
		t.Fatalf("header %+v", d)
	}
	in := d.Info[0]
	for _, f := range [][2]string{{in.Event, a.Event}, {in.Headline, a.Headline}, {in.Description, a.Description},
		{in.Instruction, a.Instruction}, {in.SenderName, a.SenderName}, {in.Severity, alert.CAPName(a.Severity)}} {
		if plain(f[1]) && f[0] != f[1] {
			t.Errorf("text %q reads back as %q", f[1], f[0])
		}
	}
	if refs := strings.Fields(d.References); len(refs) != len(a.References) {
		t.Errorf("references %q for %q", d.References, a.References)
	} else {
		for i, r := range refs {
			parts := strings.Split(r, ",")
			if id, ok := alert.ParseCAPIdentifier(parts[1]); len(parts) != 3 || !ok || id != a.References[i] {
				t.Errorf("reference %q, want one for %q", r, a.References[i])
			}
		}
	}
	checkPairs(t, "eventCode", in.EventCode, a.EventCodes)
	checkPairs(t, "parameter", in.Parameter, a.Parameters)
	if len(in.Area) != len(a.Areas) {
		t.Fatalf("%d areas, want %d", len(in.Area), len(a.Areas))
	}
	for i, ar := range a.Areas {
		got := in.Area[i]
		checkPairs(t, "geocode", got.Geocode, ar.Geocodes)
		if len(got.Polygon) != len(ar.Polygons) || len(got.Circle) != len(ar.Circles) {
			t.Fatalf("area %d: %d polygons, %d circles; want %d, %d", i, len(got.Polygon), len(got.Circle), len(ar.Polygons), len(ar.Circles))
		}
		for j, p := range got.Polygon {
			if ring, err := alert.ParseCAPPolygon(p); err != nil || !slices.Equal(ring, ar.Polygons[j]) {
				t.Errorf("polygon %q reads back as %v (%v), want %v", p, ring, err, ar.Polygons[j])
			}
		}
		for j, s := range got.Circle {
			if c, err := alert.ParseCAPCircle(s); err != nil || c != ar.Circles[j] {
				t.Errorf("circle %q reads back as %v (%v), want %v", s, c, err, ar.Circles[j])
			}
		}
	}
}

func checkPairs(t testing.TB, name string, got []capPair, want map[string][]string) {
	t.Helper()
	back, plainOnly := map[string][]string{}, true
	for _, p := range got {
		back[p.Name] = append(back[p.Name], p.Value)
	}
	for k, vs := range want {
		plainOnly = plainOnly && plain(k) && !slices.ContainsFunc(vs, func(v string) bool { return !plain(v) })
	}
	want = maps.Clone(want)
	maps.DeleteFunc(want, func(_ string, v []string) bool { return len(v) == 0 })
	if plainOnly && !maps.EqualFunc(back, want, slices.Equal) {
		t.Errorf("%s pairs %v, want %v", name, back, want)
	}
}

type capPair struct {
	Name  string `xml:"valueName"`
	Value string `xml:"value"`
}

type capDoc struct {
	XMLName    xml.Name `xml:"urn:oasis:names:tc:emergency:cap:1.2 alert"`
	Identifier string   `xml:"identifier"`
	Sender     string   `xml:"sender"`
	Sent       string   `xml:"sent"`
	Status     string   `xml:"status"`
	MsgType    string   `xml:"msgType"`
	Scope      string   `xml:"scope"`
	Note       string   `xml:"note"`
	References string   `xml:"references"`
	Info       []struct {
		Event        string    `xml:"event"`
		ResponseType []string  `xml:"responseType"`
		Severity     string    `xml:"severity"`
		EventCode    []capPair `xml:"eventCode"`
		SenderName   string    `xml:"senderName"`
		Headline     string    `xml:"headline"`
		Description  string    `xml:"description"`
		Instruction  string    `xml:"instruction"`
		Parameter    []capPair `xml:"parameter"`
		Area         []struct {
			Polygon []string  `xml:"polygon"`
			Circle  []string  `xml:"circle"`
			Geocode []capPair `xml:"geocode"`
		} `xml:"area"`
	} `xml:"info"`
}

func decodeCAP(t testing.TB, doc []byte) capDoc {
	t.Helper()
	var d capDoc
	if err := xml.Unmarshal(doc, &d); err != nil {
		t.Fatalf("output is not XML: %v\n%s", err, doc)
	}
	return d
}
