package kmahub

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/text/encoding/korean"

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
)

var (
	letterItems = []item{
		{"kmahub:L1090500/R", active, flood, alert.SeveritySevere, "호우경보", "2026-09-26T11:00:00+09:00", "2026-09-26T11:00:00+09:00"},
		{"kmahub:L1100200/H", active, heat, alert.SeveritySevere, "폭염경보", "2026-07-22T11:00:00+09:00", "2026-07-22T11:00:00+09:00"},
		{"kmahub:L1100400/H", active, heat, alert.SeverityModerate, "폭염주의보", "2026-07-20T10:00:00+09:00", "2026-07-20T10:00:00+09:00"},
	}
	koreanItems = []item{
		{"kmahub:L1030100/R", active, flood, alert.SeverityMinor, "호우예비특보", "2026-08-05T05:00:00+09:00", "2026-08-05T18:00:00+09:00"},
		{"kmahub:L1030200/R", cancel, flood, alert.SeveritySevere, "호우경보", "2026-08-04T15:00:00+09:00", "2026-08-04T15:00:00+09:00"},
		{"kmahub:L1080100/H", active, heat, alert.SeverityExtreme, "폭염중대경보", "2026-08-05T11:00:00+09:00", "2026-08-05T11:00:00+09:00"},
		{"kmahub:L1100200/H", active, heat, alert.SeverityModerate, "폭염주의보", "2026-08-05T10:00:00+09:00", "2026-08-05T10:00:00+09:00"},
	}
	koreanFacts = facts{fetched: 5, dropped: map[string]int{collectors.DropUnmapped: 1}, items: koreanItems,
		check: func(t *testing.T, res collectors.Result, _ []error) {
			pre := res.Items[0].Alert
			golden.Eq(t, "ED_TM with its comma", strings.Join(pre.Parameters["ED_TM"], "|"), "5일 밤, 6일 새벽에는 해제 예상")
			golden.Eq(t, "preliminary urgency", pre.Urgency, alert.UrgencyFuture)
			golden.Eq(t, "preliminary certainty", pre.Certainty, alert.CertaintyPossible)
			golden.Eq(t, "area", golden.JSON(t, pre.Areas), golden.JSON(t, []alert.Area{{Description: "강원북부산지", Geocodes: map[string][]string{"KMA_WRN_ZONE": {"L1030100"}}}}))
			golden.Eq(t, "eventCodes as sent", golden.JSON(t, pre.EventCodes), golden.JSON(t, map[string][]string{"WRN": {"호우"}, "LVL": {"예비"}}))
			golden.Eq(t, "lifted urgency", res.Items[1].Alert.Urgency, alert.UrgencyPast)
			golden.Eq(t, "REG_UP_KO", res.Items[2].Alert.Parameters["REG_UP_KO"][0], "대구광역시")
			golden.Eq(t, "language", pre.Language, "ko-KR")
		}}
)

// cases holds the facts of every folder in testdata; a folder without facts
// fails the test.
var cases = map[string]facts{
	"letter-codes": {fetched: 5, dropped: map[string]int{collectors.DropUnmapped: 2}, items: letterItems,
		check: func(t *testing.T, res collectors.Result, _ []error) {
			a := res.Items[0].Alert
			golden.Eq(t, "ED_TM", strings.Join(a.Parameters["ED_TM"], "|"), "26일 오후(12~18시)")
			golden.Eq(t, "eventCodes as sent", golden.JSON(t, a.EventCodes), golden.JSON(t, map[string][]string{"WRN": {"R"}, "LVL": {"3"}}))
			golden.Eq(t, "expires (none)", golden.RFC3339(a.Expires)+golden.RFC3339(a.Ends), "<nil><nil>")
			golden.Eq(t, "senderName", a.SenderName, "기상청")
			if a.Geometry != nil {
				t.Error("zone codes only: want geometry null")
			}
		}},
	"korean-words":      koreanFacts,
	"euc-kr-declared":   sameAs("korean-words", koreanFacts),
	"euc-kr-undeclared": sameAs("korean-words", koreanFacts),
	"same-zone-lines": {fetched: 6, items: []item{
		{"kmahub:L1030100/R", active, flood, alert.SeveritySevere, "호우경보", "2026-08-10T15:00:00+09:00", "2026-08-10T15:00:00+09:00"},
		{"kmahub:L1030300/R", active, flood, alert.SeverityModerate, "호우주의보", "2026-08-10T15:00:00+09:00", "2026-08-10T10:00:00+09:00"},
		{"kmahub:L1100200/H", active, heat, alert.SeverityModerate, "폭염주의보", "2026-08-05T14:00:00+09:00", "2026-08-05T10:00:00+09:00"},
	}},
	"bad-lines": {fetched: 8, dropped: map[string]int{collectors.DropInvalid: 5, collectors.DropUnmapped: 1}, items: []item{
		{"kmahub:L1060600/H", active, heat, alert.SeverityUnknown, "폭염특보", "2026-08-03T10:00:00+09:00", "2026-08-03T10:00:00+09:00"},
		{"kmahub:L1060700/H", active, heat, alert.SeveritySevere, "폭염경보", "2026-08-03T10:00:00+09:00", "<nil>"},
	}, check: func(t *testing.T, res collectors.Result, problems []error) {
		// The table still lists these warnings in force, unreadably: their
		// alerts keep their last good state rather than expire. The lines
		// without a zone, or cut short, name no key.
		golden.Eq(t, "unreadable", strings.Join(res.Unreadable, " "), "kmahub:L1060200/H kmahub:L1060300/H kmahub:L1060400/H")
		var all strings.Builder
		for _, p := range problems {
			all.WriteString(p.Error() + "\n")
		}
		for _, want := range []string{"line 1: 5 columns", "line 2: L1060200/폭염: TM_FC", "REG_ID is empty", `CMD "재발표"`, "TM_EF"} {
			if !strings.Contains(all.String(), want) {
				t.Errorf("problems do not mention %q:\n%s", want, all.String())
			}
		}
	}},
	"empty-table":             {fetched: 0},
	"no-markers":              {fetched: 1, items: []item{{"kmahub:L1100200/H", active, heat, alert.SeverityModerate, "폭염주의보", "2026-08-05T10:00:00+09:00", "2026-08-05T10:00:00+09:00"}}},
	"header-line-uncommented": {fetched: 1, items: []item{{"kmahub:L1100200/H", active, heat, alert.SeverityModerate, "폭염주의보", "2026-08-05T10:00:00+09:00", "2026-08-05T10:00:00+09:00"}}},
	"heavy-rain-off":          {fetched: 5, dropped: map[string]int{collectors.DropUnmapped: 3}, items: letterItems[1:]},
	"truncated":               {err: "truncated answer: #START7777 without #7777END"},
	"auth-error-json":         {err: `API Hub error answer (status "403"): 인증키가 유효하지 않습니다. (authKey) — check auth_key`},
	"auth-error-text":         {err: "not a warning table (no # lines): Unauthorized, invalid authKey"},
	"html-error":              {err: "an HTML or XML answer, not the warning table"},
	"no-readable-line":        {err: "no line of the table could be read: 2 columns, want at least 9"},
	"empty-body":              {err: "empty answer"},
	"invalid-bytes":           {err: "body is neither UTF-8 nor EUC-KR"},
}

// sameAs asserts f, and that the items equal those of golden case other.
func sameAs(other string, f facts) facts {
	check := f.check
	f.check = func(t *testing.T, res collectors.Result, problems []error) {
		want, err := os.ReadFile(filepath.Join("testdata", other, "expected.json"))
		if err != nil {
			t.Fatal(err)
		}
		golden.Eq(t, "items equal those of "+other, golden.JSON(t, res.Items)+"\n", string(want))
		check(t, res, problems)
	}
	return f
}

// TestEUCKRInputs checks that the EUC-KR inputs are the korean-words input
// encoded with golang.org/x/text/encoding/korean (-update writes them).
func TestEUCKRInputs(t *testing.T) {
	src := golden.At("korean-words").Read(t, "input.txt")
	want, err := korean.EUCKR.NewEncoder().Bytes(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"euc-kr-declared", "euc-kr-undeclared"} {
		path := filepath.Join(golden.At(name).Dir, "input.txt")
		if *golden.Update {
			if err := os.WriteFile(path, want, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s is not korean-words/input.txt in EUC-KR (run go test -update)", path)
		}
		if bytes.Equal(got, src) {
			t.Errorf("%s is UTF-8", path)
		}
	}
}

func TestGolden(t *testing.T) {
	// korean-words first: the EUC-KR cases compare with its golden file.
	golden.Suite[facts]{Cases: cases, First: []string{"korean-words"}}.Run(t, func(t *testing.T, c golden.Case, f facts) {
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
	golden.CheckCounts(t, res, golden.Counts{Snapshot: true, Fetched: f.fetched, Dropped: f.dropped, Items: len(f.items)})
	for i, w := range f.items {
		it := res.Items[i]
		a := it.Alert
		got := item{key: a.Key, intent: it.Intent, hazard: a.Hazard, severity: a.Severity, event: a.Event,
			sent: golden.RFC3339(&a.Sent), effective: golden.RFC3339(a.Effective)}
		if got != w {
			t.Errorf("item %d = %+v\nwant %+v", i, got, w)
		}
		golden.Eq(t, "source", a.Source, "kmahub")
		golden.Eq(t, "sourceKind", a.SourceKind, "kmahub")
		golden.Eq(t, "status", a.Status, alert.StatusActual)
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
