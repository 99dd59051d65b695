package kma

import (
	"strings"
	"testing"

	"github.com/hazardwire/hazardwire/alert"
	"github.com/hazardwire/hazardwire/collectors"
	"github.com/hazardwire/hazardwire/collectors/internal/golden"
)

// item is what every golden case asserts about each item, beside the file.
type item struct {
	key       string
	intent    collectors.Intent
	hazard    alert.Hazard
	severity  alert.Severity
	event     string
	sent      string // as written in the alert JSON: +09:00 kept
	effective string
	ends      string
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
	flood  = alert.HazardFlood
	heat   = alert.HazardHeat
	none   = "<nil>"
)

var (
	jejuLift  = item{"kma:L1090500/2", cancel, flood, alert.SeveritySevere, "호우경보", "2026-09-26T12:00:00+09:00", none, "2026-09-26T12:00:00+09:00"}
	jejuIssue = item{"kma:L1091440/2", active, flood, alert.SeverityModerate, "호우주의보", "2026-09-26T10:00:00+09:00", "2026-09-26T10:00:00+09:00", none}
)

// cases holds the facts of every folder in testdata; a folder without facts
// fails the test.
var cases = map[string]facts{
	"getPwnCd": {fetched: 3, items: []item{jejuLift, jejuIssue}, check: func(t *testing.T, res collectors.Result, _ []error) {
		lift, issue := res.Items[0].Alert, res.Items[1].Alert
		golden.Eq(t, "area", golden.JSON(t, lift.Areas), golden.JSON(t, []alert.Area{{Description: "제주도산지", Geocodes: map[string][]string{"KMA_WRN_ZONE": {"L1090500"}}}}))
		golden.Eq(t, "eventCodes", golden.JSON(t, lift.EventCodes), golden.JSON(t, map[string][]string{"warnVar": {"2"}, "warnStress": {"1"}}))
		golden.Eq(t, "parameters", golden.JSON(t, lift.Parameters), golden.JSON(t, map[string][]string{"stnId": {"108"}, "tmFc": {"202609261200"},
			"tmSeq": {"130"}, "command": {"2"}, "endTime": {"202609261200"}, "allEndTime": {"202609261200"}}))
		golden.Eq(t, "lift urgency", lift.Urgency, alert.UrgencyPast)
		golden.Eq(t, "issue urgency", issue.Urgency, alert.UrgencyExpected)
		golden.Eq(t, "issue certainty", issue.Certainty, alert.CertaintyLikely)
		golden.Eq(t, "onset", golden.RFC3339(issue.Onset), "2026-09-26T10:00:00+09:00")
		golden.Eq(t, "no headline without fetch_text", issue.Headline+lift.Headline, "")
		golden.Eq(t, "language", issue.Language, "ko-KR")
		golden.Eq(t, "senderName", issue.SenderName, "기상청")
		if issue.Geometry != nil || !strings.Contains(golden.JSON(t, issue), `"geometry": null`) {
			t.Error("zone codes only: want geometry null")
		}
	}},
	"getPwnCd-fetch-text": {fetched: 3, items: []item{jejuLift, jejuIssue}, check: func(t *testing.T, res collectors.Result, problems []error) {
		lift, issue := res.Items[0].Alert, res.Items[1].Alert
		golden.Eq(t, "headline", lift.Headline, "호우경보·호우주의보 해제")
		golden.Eq(t, "description (t2, CRLF → LF)", lift.Description,
			"(1) 호우경보 해제 : 제주도(제주도산지)\n(2) 호우주의보 해제 : 제주도(서귀포시남부, 서귀포시동부, 서귀포시중산간)")
		golden.Eq(t, "instruction (o 없음)", lift.Instruction, "")
		golden.Eq(t, "no bulletin 125 in the text answer", issue.Headline+issue.Description, "")
		golden.Eq(t, "problems", len(problems), 0)
	}},
	"heavy-rain-off": {fetched: 3, dropped: map[string]int{collectors.DropUnmapped: 3}},
	"heat-lifecycle": {fetched: 7, dropped: map[string]int{collectors.DropUnmapped: 2}, items: []item{
		{"kma:L1100200/12", active, heat, alert.SeveritySevere, "폭염경보", "2026-07-22T11:00:00+09:00", "2026-07-22T11:00:00+09:00", none},
		{"kma:L1100400/12", cancel, heat, alert.SeverityModerate, "폭염주의보", "2026-07-22T11:00:00+09:00", none, "2026-07-22T11:00:00+09:00"},
	}, check: func(t *testing.T, res collectors.Result, _ []error) {
		golden.Eq(t, "command of the latest row", res.Items[0].Alert.Parameters["command"][0], "7")
	}},
	"single-item-strings": {fetched: 1, items: []item{
		{"kma:L1091440/2", active, flood, alert.SeverityModerate, "호우주의보", "2026-09-26T10:00:00+09:00", "2026-09-26T10:30:00+09:00", none},
	}},
	"change-in-one-bulletin": {fetched: 7, items: []item{
		{"kma:L1030100/2", active, flood, alert.SeverityModerate, "호우주의보", "2026-08-10T15:00:00+09:00", "2026-08-10T15:00:00+09:00", none},
		{"kma:L1030200/2", active, flood, alert.SeverityModerate, "호우주의보", "2026-08-10T15:00:00+09:00", "2026-08-10T15:00:00+09:00", none},
		{"kma:L1030300/2", active, flood, alert.SeverityModerate, "호우주의보", "2026-08-10T15:00:00+09:00", "2026-08-10T15:00:00+09:00", none},
	}},
	// 대전: its lift was retracted, so the issue before it is in force again,
	// as of the retraction. 세종: a retracted issue, a warning that never was.
	"retracted-rows": {fetched: 3, items: []item{
		{"kma:L1050100/12", active, heat, alert.SeverityModerate, "폭염주의보", "2026-08-01T17:00:00+09:00", "2026-08-01T11:00:00+09:00", none},
		{"kma:L1050200/12", cancel, heat, alert.SeverityModerate, "폭염주의보", "2026-08-01T12:00:00+09:00", "2026-08-01T12:00:00+09:00", none},
	}, check: func(t *testing.T, res collectors.Result, _ []error) {
		golden.Eq(t, "in force again: the issue's own row", res.Items[0].Alert.Parameters["tmSeq"][0], "10")
		void := res.Items[1].Alert
		golden.Eq(t, "retracted issue: cancel parameter", void.Parameters["cancel"][0], "1")
		golden.Eq(t, "retracted issue: urgency", void.Urgency, alert.UrgencyPast)
	}},
	"severe-and-unknown-level": {fetched: 2, items: []item{
		{"kma:L1040100/2", active, flood, alert.SeverityUnknown, "호우특보", "2026-08-05T10:00:00+09:00", "2026-08-05T10:00:00+09:00", none},
		{"kma:L1080100/12", active, heat, alert.SeverityExtreme, "폭염중대경보", "2026-08-05T11:00:00+09:00", "2026-08-05T11:00:00+09:00", none},
	}, check: func(t *testing.T, res collectors.Result, _ []error) {
		golden.Eq(t, "raw warnStress kept", res.Items[0].Alert.EventCodes["warnStress"][0], "7")
	}},
	"kinds-option": {fetched: 2, dropped: map[string]int{collectors.DropUnmapped: 1}, items: []item{
		{"kma:L1100100/13", active, heat, alert.SeverityModerate, "열대야주의보", "2026-08-02T21:00:00+09:00", "2026-08-02T21:00:00+09:00", none},
	}},
	"bad-rows": {fetched: 8, dropped: map[string]int{collectors.DropInvalid: 7}, items: []item{
		{"kma:L1060600/12", cancel, heat, alert.SeverityModerate, "폭염주의보", "2026-08-03T11:00:00+09:00", "2026-08-03T11:30:00+09:00", none},
	}, check: func(t *testing.T, _ collectors.Result, problems []error) {
		all := errorsText(problems)
		for _, want := range []string{"tmFc", "areaCode is empty", `command "5"`, "startTime", `tmSeq "x"`, `warnVar "x"`, "row 7"} {
			if !strings.Contains(all, want) {
				t.Errorf("problems do not mention %q:\n%s", want, all)
			}
		}
	}},
	"no-data":            {fetched: 0},
	"items-empty-string": {fetched: 0},
	"error-err-30":       {err: `data.go.kr gateway error "30": SERVICE_KEY_IS_NOT_REGISTERED_ERROR (등록되지 않은 서비스키) — check service_key`},
	"error-err-99":       {err: `data.go.kr error "99": 최대 조회 기간은 오늘 기준으로 6일 전까지입니다.`},
	"xml-gateway-error":  {err: `data.go.kr gateway error "30": SERVICE ERROR (SERVICE_KEY_IS_NOT_REGISTERED_ERROR)`},
	"xml-result-error":   {err: `data.go.kr error "22": LIMITED_NUMBER_OF_SERVICE_REQUESTS_EXCEEDS_ERROR — the key's daily request quota`},
	"xml-success":        {err: "the request needs dataType=JSON"},
	"items-not-list":     {err: "body.items.item is neither an object nor an array"},
	"not-envelope":       {err: "no response.header"},
	"malformed-json":     {err: "malformed JSON"},
	"invalid-utf8":       {err: "not valid UTF-8"},
}

func errorsText(errs []error) string {
	var b strings.Builder
	for _, e := range errs {
		b.WriteString(e.Error())
		b.WriteByte('\n')
	}
	return b.String()
}

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
		return
	}
	golden.CheckCounts(t, res, golden.Counts{Snapshot: false, Fetched: f.fetched, Dropped: f.dropped, Items: len(f.items)})
	for i, w := range f.items {
		it := res.Items[i]
		a := it.Alert
		got := item{key: a.Key, intent: it.Intent, hazard: a.Hazard, severity: a.Severity, event: a.Event,
			sent: golden.RFC3339(&a.Sent), effective: golden.RFC3339(a.Effective), ends: golden.RFC3339(a.Ends)}
		if got != w {
			t.Errorf("item %d = %+v\nwant %+v", i, got, w)
		}
		golden.Eq(t, "source", a.Source, "kma")
		golden.Eq(t, "sourceKind", a.SourceKind, "kma")
		golden.Eq(t, "status", a.Status, alert.StatusActual)
		golden.Eq(t, "expires (KMA warnings have none)", golden.RFC3339(a.Expires), none)
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
