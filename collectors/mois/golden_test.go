package mois

import (
	"slices"
	"strings"
	"testing"

	"github.com/hazardwire/hazardwire/alert"
	"github.com/hazardwire/hazardwire/collectors"
	"github.com/hazardwire/hazardwire/collectors/internal/golden"
)

// item is what every golden case asserts about each item, beside the file.
type item struct {
	key      string
	hazard   alert.Hazard
	severity alert.Severity
	event    string
	sent     string // as written in the alert JSON: the offset kept
	expires  string
	areas    string // area descriptions joined by " | "
}

// facts are the key facts of a golden case, asserted explicitly so that a
// regenerated golden file cannot hide a regression in them.
type facts struct {
	err      string // the error must contain this; "" when the case parses
	fetched  int
	dropped  map[string]int
	problems int // invalid rows explained
	// problemSubs must each appear in one of the problems.
	problemSubs []string
	items       []item
	// check asserts anything else the case is about.
	check func(t *testing.T, res collectors.Result)
}

var (
	unmapped = collectors.DropUnmapped
	invalid  = collectors.DropInvalid
)

// cases holds the facts of every case in testdata; a case without facts
// fails the test.
var cases = map[string]facts{
	"DSSP-IF-00247-ok": {fetched: 2, dropped: map[string]int{unmapped: 1}, items: []item{
		{"mois:266799", alert.HazardFlood, alert.SeverityMinor, "호우", "2026-08-18T03:51:18+09:00", "2026-08-19T03:51:18+09:00", "경상남도 거제시"},
	}, check: func(t *testing.T, res collectors.Result) {
		a := res.Items[0].Alert
		golden.Eq(t, "headline", a.Headline, "호우 안전안내")
		golden.Eq(t, "description", a.Description, "오늘 새벽 03:00 호우주의보 발효.")
		golden.Eq(t, "language", a.Language, "ko-KR")
		golden.Eq(t, "sender", a.Sender, "safetydata.go.kr")
		golden.Eq(t, "senderName", a.SenderName, "행정안전부")
		golden.Eq(t, "status", a.Status, alert.StatusActual)
		golden.Eq(t, "urgency", a.Urgency, alert.UrgencyImmediate)
		golden.Eq(t, "certainty", a.Certainty, alert.CertaintyObserved)
		golden.Eq(t, "effective (defaults to sent)", rfc3339(a.Effective), "<nil>")
		golden.Eq(t, "onset", rfc3339(a.Onset), "<nil>")
		golden.Eq(t, "ends", rfc3339(a.Ends), "<nil>")
		golden.Eq(t, "eventCodes", golden.JSON(t, a.EventCodes), golden.JSON(t, map[string][]string{"DST_SE_NM": {"호우"}, "EMRG_STEP_NM": {"안전안내"}}))
		golden.Eq(t, "parameters", golden.JSON(t, a.Parameters), golden.JSON(t, map[string][]string{
			"SN": {"266799"}, "CRT_DT": {"2026/08/18 03:51:18"},
			"REG_YMD": {"2026/08/18 03:51:55.000000000"}, "MDFCN_YMD": {"2026/08/18 04:01:45.000000000"}}))
		golden.Eq(t, "geocodes", len(a.Areas[0].Geocodes), 0)
		if a.Geometry != nil || !strings.Contains(golden.JSON(t, a), `"geometry": null`) {
			t.Error("region names only: want geometry null in the JSON")
		}
		golden.Eq(t, "intent", res.Items[0].Intent, collectors.IntentActive)
	}},
	"DSSP-IF-00247-error": {err: `safetydata.go.kr answered resultCode "30" ("SERVICE KEY IS NOT REGISTERED ERROR", "등록되지 않은 서비스키"): the service_key is not registered`},
	"flood-and-heat-types": {fetched: 9, dropped: map[string]int{unmapped: 5}, items: []item{
		{"mois:266810", alert.HazardHeat, alert.SeveritySevere, "폭염", "2026-08-18T14:05:10+09:00", "2026-08-19T14:05:10+09:00", "대구광역시 전체"},
		{"mois:266811", alert.HazardFlood, alert.SeverityExtreme, "홍수", "2026-08-18T16:02:44+09:00", "2026-08-19T16:02:44+09:00", "서울특별시 용산구 | 서울특별시 서초구"},
		{"mois:266799", alert.HazardFlood, alert.SeverityMinor, "호우", "2026-08-18T03:51:18+09:00", "2026-08-19T03:51:18+09:00", "경상남도 거제시"},
		{"mois:266809", alert.HazardFlood, alert.SeverityMinor, "하천범람", "2026-08-18T13:20:00+09:00", "2026-08-19T13:20:00+09:00", "대전광역시 유성구"},
	}, check: func(t *testing.T, res collectors.Result) {
		golden.Eq(t, "headline", res.Items[1].Alert.Headline, "홍수 위급재난")
	}},
	"typhoon-option": {fetched: 2, dropped: map[string]int{unmapped: 1}, items: []item{
		{"mois:266805", alert.HazardFlood, alert.SeverityMinor, "태풍", "2026-08-18T09:30:00+09:00", "2026-08-19T09:30:00+09:00", "제주특별자치도 전체"},
	}},
	"keywords-option": {fetched: 5, dropped: map[string]int{unmapped: 3}, items: []item{
		{"mois:266807", alert.HazardHeat, alert.SeverityMinor, "기타", "2026-08-18T11:00:00+09:00", "2026-08-19T11:00:00+09:00", "광주광역시 전체"},
		{"mois:266813", alert.HazardFlood, alert.SeveritySevere, "기타", "2026-08-18T11:05:00+09:00", "2026-08-19T11:05:00+09:00", "충청북도 청주시"},
	}},
	"time-formats": {fetched: 6, items: []item{
		{"mois:266901", alert.HazardFlood, alert.SeverityMinor, "호우", "2026-08-18T02:00:10+09:00", "2026-08-19T02:00:10+09:00", "부산광역시 전체"},
		{"mois:266902", alert.HazardFlood, alert.SeverityMinor, "호우", "2026-08-18T02:00:11+09:00", "2026-08-19T02:00:11+09:00", "부산광역시 전체"},
		{"mois:266903", alert.HazardFlood, alert.SeverityMinor, "호우", "2026-08-18T02:00:12.5+09:00", "2026-08-19T02:00:12.5+09:00", "부산광역시 전체"},
		{"mois:266904", alert.HazardFlood, alert.SeverityMinor, "호우", "2026-08-18T02:00:13+09:00", "2026-08-19T02:00:13+09:00", "부산광역시 전체"},
		{"mois:266905", alert.HazardFlood, alert.SeverityMinor, "호우", "2026-08-17T17:00:14Z", "2026-08-18T17:00:14Z", "부산광역시 전체"},
		{"mois:266906", alert.HazardFlood, alert.SeverityMinor, "호우", "2026-08-18T23:59:00+09:00", "2026-08-19T23:59:00+09:00", "부산광역시 전체"},
	}, check: func(t *testing.T, res collectors.Result) {
		golden.Eq(t, "SN as sent (string with a leading zero) → canonical", res.Items[1].Alert.Parameters["SN"][0], "266902")
		golden.Eq(t, "MDFCN_YMD null → absent", len(res.Items[1].Alert.Parameters["MDFCN_YMD"]), 0)
		golden.Eq(t, "REG_YMD as sent", res.Items[0].Alert.Parameters["REG_YMD"][0], "20260818")
	}},
	"invalid-rows": {fetched: 11, dropped: map[string]int{invalid: 10}, problems: 10, problemSubs: []string{
		`row 1: SN "" is not`, `row 2: SN "abc" is not`, `SN "1.5"`, `SN "-5"`, "row 8: not a message object", "row 9: not a message object",
		"SN 266951: CRT_DT: empty", `SN 266952: CRT_DT: time "2026/08/18"`, `SN 266953: CRT_DT`, `SN 266955: CRT_DT: time "yesterday"`,
	}, items: []item{
		{"mois:266799", alert.HazardFlood, alert.SeverityMinor, "호우", "2026-08-18T03:51:18+09:00", "2026-08-19T03:51:18+09:00", "경상남도 거제시"},
	}},
	"duplicate-sn": {fetched: 2, dropped: map[string]int{unmapped: 1}, items: []item{
		{"mois:266799", alert.HazardFlood, alert.SeverityMinor, "호우", "2026-08-18T03:51:18+09:00", "2026-08-19T03:51:18+09:00", "경상남도 거제시"},
	}, check: func(t *testing.T, res collectors.Result) {
		golden.Eq(t, "the copy modified last", res.Items[0].Alert.Description, "오늘 새벽 03:00 호우경보 발효.")
	}},
	"areas": {fetched: 3, items: []item{
		{"mois:266960", alert.HazardHeat, alert.SeverityMinor, "폭염", "2026-08-18T13:00:00+09:00", "2026-08-19T13:00:00+09:00", "서울특별시 전체 | 경기도 수원시 장안구 | 인천광역시 중구"},
		{"mois:266961", alert.HazardHeat, alert.SeverityMinor, "폭염", "2026-08-18T13:01:00+09:00", "2026-08-19T13:01:00+09:00", ""},
		{"mois:266962", alert.HazardHeat, alert.SeverityMinor, "폭염", "2026-08-18T13:02:00+09:00", "2026-08-19T13:02:00+09:00", ""},
	}},
	"severity-steps": {fetched: 8, items: []item{
		{"mois:266971", alert.HazardFlood, alert.SeverityExtreme, "호우", "2026-08-18T15:00:01+09:00", "2026-08-19T15:00:01+09:00", "서울특별시 전체"},
		{"mois:266972", alert.HazardFlood, alert.SeverityExtreme, "호우", "2026-08-18T15:00:02+09:00", "2026-08-19T15:00:02+09:00", "서울특별시 전체"},
		{"mois:266973", alert.HazardFlood, alert.SeveritySevere, "호우", "2026-08-18T15:00:03+09:00", "2026-08-19T15:00:03+09:00", "서울특별시 전체"},
		{"mois:266974", alert.HazardFlood, alert.SeveritySevere, "호우", "2026-08-18T15:00:04+09:00", "2026-08-19T15:00:04+09:00", "서울특별시 전체"},
		{"mois:266975", alert.HazardFlood, alert.SeverityMinor, "호우", "2026-08-18T15:00:05+09:00", "2026-08-19T15:00:05+09:00", "서울특별시 전체"},
		{"mois:266976", alert.HazardFlood, alert.SeverityUnknown, "호우", "2026-08-18T15:00:06+09:00", "2026-08-19T15:00:06+09:00", "서울특별시 전체"},
		{"mois:266977", alert.HazardFlood, alert.SeverityUnknown, "호우", "2026-08-18T15:00:07+09:00", "2026-08-19T15:00:07+09:00", "서울특별시 전체"},
		{"mois:266978", alert.HazardFlood, alert.SeverityUnknown, "호우", "2026-08-18T15:00:08+09:00", "2026-08-19T15:00:08+09:00", "서울특별시 전체"},
	}, check: func(t *testing.T, res collectors.Result) {
		golden.Eq(t, "headline without a step", res.Items[6].Alert.Headline, "호우")
		golden.Eq(t, "eventCodes without a step", golden.JSON(t, res.Items[6].Alert.EventCodes), golden.JSON(t, map[string][]string{"DST_SE_NM": {"호우"}}))
		golden.Eq(t, "headline, step as sent", res.Items[2].Alert.Headline, "호우 긴급 재난")
	}},
	"expire-after-option": {fetched: 1, items: []item{
		{"mois:266810", alert.HazardHeat, alert.SeveritySevere, "폭염", "2026-08-18T14:05:10+09:00", "2026-08-18T20:05:10+09:00", "대구광역시 전체"},
	}},
	"body-null":         {fetched: 0},
	"body-empty":        {fetched: 0},
	"nodata-03":         {fetched: 0},
	"error-32-ip":       {err: `resultCode "32" ("UNREGISTERED IP ERROR", "등록되지 않은 IP"): this machine's IP address is not registered`},
	"error-22-numeric":  {err: `resultCode "22" ("LIMITED NUMBER OF SERVICE REQUESTS EXCEEDS ERROR"): the key's request quota is used up`},
	"xml-gateway-error": {err: `resultCode "30" ("SERVICE_KEY_IS_NOT_REGISTERED_ERROR", "SERVICE ERROR")`},
	"html-answer":       {err: "an XML or HTML answer"},
	"malformed-json":    {err: "malformed JSON"},
	"invalid-utf8":      {err: "not valid UTF-8"},
	"no-header":         {err: "no header"},
	"single-message":    {err: "no header"},
	"body-object":       {err: "body is not an array of messages"},
	"no-result-code":    {err: "without a resultCode"},
}

func TestGolden(t *testing.T) {
	golden.Suite[facts]{Cases: cases, CaptureExt: ".json"}.Run(t, func(t *testing.T, c golden.Case, f facts) {
		res, problems, err := runCase(t, c.Name)
		c.Compare(t, res, err)
		checkFacts(t, f, res, problems, err)
	})
}

func checkFacts(t *testing.T, f facts, res collectors.Result, problems []error, err error) {
	t.Helper()
	if golden.CheckErr(t, err, f.err) {
		return
	}
	golden.Eq(t, "problems", len(problems), f.problems)
	for _, sub := range f.problemSubs {
		if !slices.ContainsFunc(problems, func(p error) bool { return strings.Contains(p.Error(), sub) }) {
			t.Errorf("no problem mentions %q: %v", sub, problems)
		}
	}
	golden.CheckCounts(t, res, golden.Counts{Snapshot: false, Fetched: f.fetched, Dropped: f.dropped, Items: len(f.items)})
	for i, w := range f.items {
		it := res.Items[i]
		a := it.Alert
		var names []string
		for _, ar := range a.Areas {
			names = append(names, ar.Description)
		}
		got := item{key: a.Key, hazard: a.Hazard, severity: a.Severity, event: a.Event,
			sent: rfc3339(&a.Sent), expires: rfc3339(a.Expires), areas: strings.Join(names, " | ")}
		if got != w {
			t.Errorf("item %d = %+v\nwant %+v", i, got, w)
		}
		golden.Eq(t, "intent", it.Intent, collectors.IntentActive)
		golden.Eq(t, "source", a.Source, "mois")
		golden.Eq(t, "sourceKind", a.SourceKind, "mois")
		if a.ID != "" || a.Version != 0 || a.Change != "" || a.State != "" || a.References != nil {
			t.Errorf("item %d: lifecycle fields set: %+v", i, a)
		}
		if err := a.Validate(); err != nil {
			t.Errorf("item %d does not validate: %v", i, err)
		}
	}
	if f.check != nil {
		f.check(t, res)
	}
}
