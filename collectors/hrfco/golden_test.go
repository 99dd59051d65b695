package hrfco

import (
	"strings"
	"testing"
	"time"

	"github.com/hazardwire/hazardwire/alert"
	"github.com/hazardwire/hazardwire/collectors"
	"github.com/hazardwire/hazardwire/collectors/internal/golden"
)

// item is what every golden case asserts about each item, beside the file.
type item struct {
	key      string
	intent   collectors.Intent
	severity alert.Severity
	event    string
	sent     string // as written in the alert JSON: "+09:00" kept
	circle   string // "lat,lon" of the area's circle, or "" for none
	derived  bool
}

// facts are the key facts of a golden case, asserted explicitly so that a
// regenerated golden file cannot hide a regression in them.
type facts struct {
	err     string // the error must contain this; "" when the case parses
	fetched int
	dropped map[string]int
	items   []item
	check   func(t *testing.T, res collectors.Result, problems []error)
}

const (
	active = collectors.IntentActive
	cancel = collectors.IntentCancel
)

// cases holds the facts of every folder in testdata; a folder without facts
// fails the test.
var cases = map[string]facts{
	"fldfct-warnings": {fetched: 3, items: []item{
		{"hrfco:1018683", active, alert.SeverityModerate, "홍수주의보", "2023-07-15T14:00:00+09:00", hangang, false},
		{"hrfco:1019630", active, alert.SeveritySevere, "홍수경보", "2023-07-15T14:20:00+09:00", haengju, false},
		{"hrfco:2022680", active, alert.SeverityModerate, "홍수주의보", "2023-07-15T14:30:00+09:00", "", false},
	}, check: func(t *testing.T, res collectors.Result, _ []error) {
		a := res.Items[0].Alert
		// "202307151400" without an offset is KST: 05:00 UTC.
		golden.Eq(t, "sent UTC", a.Sent.UTC().Format(time.RFC3339), "2023-07-15T05:00:00Z")
		golden.Eq(t, "onset (sttfctdt)", golden.RFC3339(a.Onset), "2023-07-15T18:00:00+09:00")
		golden.Eq(t, "urgency", a.Urgency, alert.UrgencyExpected)
		golden.Eq(t, "certainty", a.Certainty, alert.CertaintyLikely)
		golden.Eq(t, "headline", a.Headline, "한강 서울시(한강대교) 홍수주의보")
		golden.Eq(t, "senderName (ancnm)", a.SenderName, "한강홍수통제소")
		golden.Eq(t, "area (wrnaranm)", a.Areas[0].Description, "서울특별시 용산구, 동작구")
		golden.Eq(t, "geocode", strings.Join(a.Areas[0].Geocodes["HRFCO_WLOBSCD"], ","), "1018683")
		golden.Eq(t, "radius", a.Areas[0].Circles[0].RadiusKm, 0.0)
		golden.Eq(t, "geometry", a.Geometry.Type, "Polygon")
		golden.Eq(t, "parameters.hrfco_kind", strings.Join(a.Parameters["hrfco_kind"], ","), "홍수주의보")
		golden.Eq(t, "eventCodes.HRFCO", strings.Join(a.EventCodes["HRFCO"], ","), "홍수주의보")
		if !strings.Contains(a.Description, "현재 수위: 2023-07-15 14:00 7.52 m (EL.9.12 m) 상승") {
			t.Errorf("description = %q", a.Description)
		}
		b := res.Items[1].Alert
		// "2023-07-15 14:20", the formatted layout, is KST too.
		golden.Eq(t, "formatted sent UTC", b.Sent.UTC().Format(time.RFC3339), "2023-07-15T05:20:00Z")
		golden.Eq(t, "formatted onset", golden.RFC3339(b.Onset), "2023-07-15T17:00:00+09:00")
		golden.Eq(t, "parameters.hrfco_prntdt", strings.Join(b.Parameters["hrfco_prntdt"], ","), "2023-07-15 11:00")
		golden.Eq(t, "no coordinates: no geometry", res.Items[2].Alert.Geometry == nil, true)
		golden.Eq(t, "senderName", res.Items[2].Alert.SenderName, "낙동강홍수통제소")
	}},
	"fldfct-upper-case": {fetched: 1, items: []item{
		{"hrfco:1018683", active, alert.SeveritySevere, "홍수경보", "2023-07-16T09:10:00+09:00", "", false},
	}, check: func(t *testing.T, res collectors.Result, _ []error) {
		a := res.Items[0].Alert
		golden.Eq(t, "parameters.hrfco_prntdt", strings.Join(a.Parameters["hrfco_prntdt"], ","), "202307151400")
		golden.Eq(t, "parameters.hrfco_no", strings.Join(a.Parameters["hrfco_no"], ","), "4")
		golden.Eq(t, "area", a.Areas[0].Description, "서울특별시 용산구, 동작구")
	}},
	"fldfct-lifted": {fetched: 5, items: []item{
		{"hrfco:1018683", cancel, alert.SeveritySevere, "홍수경보 해제", "2023-07-16T10:30:00+09:00", "", false},
		{"hrfco:1019630", cancel, alert.SeverityModerate, "해제", "2023-07-16T11:00:00+09:00", "", false},
	}, check: func(t *testing.T, res collectors.Result, _ []error) {
		a := res.Items[0].Alert
		golden.Eq(t, "urgency", a.Urgency, alert.UrgencyPast)
		golden.Eq(t, "onset (blank sttfctdt)", golden.RFC3339(a.Onset), "<nil>")
		golden.Eq(t, "hrfco_kind", strings.Join(a.Parameters["hrfco_kind"], ","), "홍수경보 해제")
		golden.Eq(t, "hrfco_no (same ancdt: higher no)", strings.Join(res.Items[1].Alert.Parameters["hrfco_no"], ","), "5")
	}},
	"fldfct-no-data":       {},
	"fldfct-empty-content": {},
	"fldfct-auth-error":    {err: `code "940" ("인증키가 유효하지 않습니다."): authentication failed`},
	"fldfct-other-error":   {err: `api.hrfco.go.kr answered code "950" ("요청 횟수 초과")`},
	"fldfct-unmapped-invalid": {fetched: 7, dropped: map[string]int{collectors.DropUnmapped: 1, collectors.DropInvalid: 5}, items: []item{
		{"hrfco:1014650", active, alert.SeveritySevere, "홍수경보", "2023-07-15T15:00:00+09:00", "", false},
	}, check: func(t *testing.T, res collectors.Result, problems []error) {
		problemMentions(5, `ancdt: time "15/07/2023 14:00"`, "sttnm (the forecast point) is blank", `sttfctdt: time "내일 오후"`,
			"fldfct row 4", "want a string, got an object")(t, res, problems)
		// Forecasts in force that the list still serves, unreadably: their
		// alerts keep their last good state rather than expire.
		golden.Eq(t, "unreadable", strings.Join(res.Unreadable, " "), "hrfco:1007625 hrfco:1018662")
	}},
	"malformed-json":     {err: "malformed JSON at byte 40"},
	"invalid-utf8":       {err: "not valid UTF-8"},
	"not-an-answer":      {err: `not an HRFCO answer: want a JSON object {"content": [...]}`},
	"content-not-array":  {err: `"content" is not an array`},
	"no-content-no-code": {err: `no "content" array and no result code`},

	"levels-thresholds": {fetched: 8, items: []item{
		{"hrfco:level:1018662", active, alert.SeverityMinor, "수위 관심 단계 (derived)", "2023-07-15T14:50:00+09:00", cheongdam, true},
		{"hrfco:level:1018683", active, alert.SeverityModerate, "수위 주의 단계 (derived)", "2023-07-15T14:50:00+09:00", hangang, true},
		{"hrfco:level:1019630", active, alert.SeverityExtreme, "수위 심각 단계 (derived)", "2023-07-15T14:50:00+09:00", haengju, true},
	}, check: func(t *testing.T, res collectors.Result, _ []error) {
		a := res.Items[1].Alert
		golden.Eq(t, "certainty", a.Certainty, alert.CertaintyObserved)
		golden.Eq(t, "urgency", a.Urgency, alert.UrgencyImmediate)
		golden.Eq(t, "sent UTC", a.Sent.UTC().Format(time.RFC3339), "2023-07-15T05:50:00Z")
		golden.Eq(t, "hrfco_wl (the latest row)", strings.Join(a.Parameters["hrfco_wl"], ","), "10.49")
		golden.Eq(t, "hrfco_stage", strings.Join(a.Parameters["hrfco_stage"], ","), "wrnwl")
		golden.Eq(t, "eventCodes.HRFCO", strings.Join(a.EventCodes["HRFCO"], ","), "wrnwl")
		golden.Eq(t, "hrfco_stage_since", strings.Join(a.Parameters["hrfco_stage_since"], ","), "2023-07-15T14:50:00+09:00")
		golden.Eq(t, "headline", a.Headline, "서울시(한강대교) 수위 주의 단계 (기준수위 8.50 m)")
		golden.Eq(t, "area", a.Areas[0].Description, "서울시(한강대교) (서울특별시 용산구 한강대교)")
		golden.Eq(t, "upper-case row wl", strings.Join(res.Items[2].Alert.Parameters["hrfco_wl"], ","), "7.01")
		if strings.Contains(a.Description, "10.49") || strings.Contains(a.Headline, "10.49") {
			t.Error("the level itself is in the material text: every reading would make a version")
		}
	}},
	"levels-stale-and-order": {fetched: 4, items: []item{
		{"hrfco:level:1018640", active, alert.SeverityModerate, "수위 주의 단계 (derived)", "2023-07-15T14:50:00+09:00", gwangjin, true},
		{"hrfco:level:1019630", active, alert.SeveritySevere, "수위 경계 단계 (derived)", "2023-07-15T14:50:00+09:00", haengju, true},
	}, check: func(t *testing.T, res collectors.Result, _ []error) {
		golden.Eq(t, "latest of two rows", strings.Join(res.Items[0].Alert.Parameters["hrfco_wl"], ","), "4.10")
	}},
	"levels-bad-values": {fetched: 7, dropped: map[string]int{collectors.DropInvalid: 5}, items: []item{
		{"hrfco:level:1019630", active, alert.SeverityMinor, "수위 관심 단계 (derived)", "2023-07-15T14:50:00+09:00", "", true},
	}, check: problemMentions(5, `wl: "높음" is not a number`, `wl: "NaN" is not a number`, `ymdhm: time "2023071514"`,
		"wlobscd is blank", `station 1018662: wrnwl: "칠" is not a number`)},
	"levels-stations-option": {fetched: 3, items: []item{
		{"hrfco:level:1018662", active, alert.SeverityModerate, "수위 주의 단계 (derived)", "2023-07-15T14:50:00+09:00", cheongdam, true},
		{"hrfco:level:1018683", active, alert.SeverityExtreme, "수위 심각 단계 (derived)", "2023-07-15T14:50:00+09:00", hangang, true},
	}},
	// The level list holds every station's latest reading: none at all is
	// missing data, and must not expire every derived alert.
	"levels-no-data": {err: `the level list holds no reading: missing data, not "no flood"`},
	"info-empty":     {err: "the station list (waterlevel/info) holds no station"},
	"both-modes": {fetched: 2, items: []item{
		{"hrfco:1018683", active, alert.SeveritySevere, "홍수경보", "2023-07-15T14:40:00+09:00", hangang, false},
		{"hrfco:level:1018683", active, alert.SeverityModerate, "수위 주의 단계 (derived)", "2023-07-15T14:50:00+09:00", hangang, true},
	}},
}

// Station positions (lat,lon) of the test station list, from its DMS values.
const (
	hangang   = "37.515278,126.957778" // 37-30-55, 126-57-28
	haengju   = "37.598889,126.811389" // 37-35-56, 126-48-41
	cheongdam = "37.524444,127.056667" // 37-31-28, 127-03-24
	gwangjin  = "37.5425,127.113056"   // 37-32-33, 127-06-47
)

func TestGolden(t *testing.T) {
	golden.Suite[facts]{Cases: cases}.Run(t, func(t *testing.T, c golden.Case, f facts) {
		res, problems, err := runCase(t, c.Name)
		c.Compare(t, res, err)
		checkFacts(t, f, res, problems, err)
	})
}

func checkFacts(t *testing.T, f facts, res collectors.Result, problems []error, err error) {
	t.Helper()
	if golden.CheckErr(t, err, f.err) {
		if strings.Contains(err.Error(), testKey) {
			t.Errorf("error %q holds the service key", err)
		}
		return
	}
	golden.CheckCounts(t, res, golden.Counts{Snapshot: true, Fetched: f.fetched, Dropped: f.dropped, Items: len(f.items)})
	for i, w := range f.items {
		it := res.Items[i]
		a := it.Alert
		got := item{key: a.Key, intent: it.Intent, severity: a.Severity, event: a.Event, sent: golden.RFC3339(&a.Sent),
			circle: circleOf(a), derived: a.Derived}
		if got != w {
			t.Errorf("item %d = %+v\nwant %+v", i, got, w)
		}
		golden.Eq(t, "source", a.Source, "hrfco")
		golden.Eq(t, "sourceKind", a.SourceKind, "hrfco")
		golden.Eq(t, "hazard", a.Hazard, alert.HazardFlood)
		golden.Eq(t, "language", a.Language, "ko-KR")
		golden.Eq(t, "status", a.Status, alert.StatusActual)
		if a.ID != "" || a.Version != 0 || a.Change != "" || a.State != "" || a.References != nil {
			t.Errorf("item %d: lifecycle fields set: %+v", i, a)
		}
		if err := a.Validate(); err != nil {
			t.Errorf("item %d does not validate: %v", i, err)
		}
		if s := golden.JSON(t, a); strings.Contains(s, testKey) {
			t.Errorf("item %d holds the service key", i)
		}
	}
	if f.check != nil {
		f.check(t, res, problems)
	}
}

// circleOf returns "lat,lon" of the first circle of the alert's areas.
func circleOf(a alert.Alert) string {
	for _, ar := range a.Areas {
		for _, c := range ar.Circles {
			return strings.TrimSpace(strings.Join([]string{ftoa(c.Lat), ftoa(c.Lon)}, ","))
		}
	}
	return ""
}

// problemMentions checks that the parse problems, together, mention every
// one of subs, and that there are n of them.
func problemMentions(n int, subs ...string) func(t *testing.T, res collectors.Result, problems []error) {
	return func(t *testing.T, _ collectors.Result, problems []error) {
		t.Helper()
		if len(problems) != n {
			t.Fatalf("problems = %v, want %d", problems, n)
		}
		all := ""
		for _, p := range problems {
			all += p.Error() + "\n"
		}
		for _, s := range subs {
			if !strings.Contains(all, s) {
				t.Errorf("problems %q do not mention %q", all, s)
			}
		}
	}
}
