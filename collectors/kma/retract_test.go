package kma

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hazardwire/hazardwire/alert"
	"github.com/hazardwire/hazardwire/collectors/internal/golden"
	"github.com/hazardwire/hazardwire/internal/lifecycle"
)

// pwnRows is a getPwnCd answer holding rows, each given as
// "areaCode warnStress command cancel tmFc tmSeq" of a 폭염 (warnVar 12)
// warning; startTime is tmFc for rows in force, endTime tmFc for lifts.
func pwnRows(t *testing.T, rows ...string) []byte {
	t.Helper()
	var items []string
	for _, r := range rows {
		var area, command, cancel string
		var stress, seq int
		var tmFc int64
		if _, err := fmt.Sscan(r, &area, &stress, &command, &cancel, &tmFc, &seq); err != nil {
			t.Fatalf("row %q: %v", r, err)
		}
		start, end := tmFc, int64(0)
		if command == "2" || command == "8" {
			start, end = 0, tmFc
		}
		items = append(items, fmt.Sprintf(`{"allEndTime":0,"areaCode":%q,"areaName":"대전","cancel":%q,"command":%q,`+
			`"endTime":%d,"stnId":"108","tmFc":%d,"tmSeq":%d,"warnVar":12,"warnStress":%d,"startTime":%d}`,
			area, cancel, command, end, tmFc, seq, stress, start))
	}
	return []byte(`{"response":{"header":{"resultCode":"00","resultMsg":"NORMAL_SERVICE"},"body":{"dataType":"JSON",` +
		`"items":{"item":[` + strings.Join(items, ",") + `]},"pageNo":1,"numOfRows":1000,"totalCount":` +
		fmt.Sprint(len(items)) + `}}}`)
}

// TestRetractionLifecycle runs retractions (cancel=1, 취소) through the
// lifecycle's decisions: a row KMA withdraws after it was published must
// undo what it said. KMA warnings have no end but their lift, so a
// withdrawn issue left alone would stay in force for ever, and a withdrawn
// change would leave its level.
func TestRetractionLifecycle(t *testing.T) {
	m := newTestCollector(t, "", "", nil, time.Now()).mapper
	now := time.Date(2026, 8, 1, 18, 0, 0, 0, alert.KST)
	records := map[string]*lifecycle.Record{}
	poll := func(body []byte) map[string]*alert.Alert {
		t.Helper()
		res, _, err := m.parse(body, nil)
		if err != nil {
			t.Fatal(err)
		}
		changes := map[string]*alert.Alert{}
		for _, it := range res.Items {
			d := lifecycle.Decide(records[it.Alert.Key], it, now)
			if d.Record != nil {
				records[it.Alert.Key] = d.Record
			}
			if d.Publish != nil {
				changes[it.Alert.Key] = d.Publish
			}
		}
		return changes
	}
	const issue, toWarning, lift = "L1050100 0 1 %s 202608011100 10", "L1050100 1 7 %s 202608011400 11", "L1050100 1 2 %s 202608011700 12"
	key := "kma:L1050100/12"
	change := func(changes map[string]*alert.Alert) alert.Change {
		if a := changes[key]; a != nil {
			return a.Change
		}
		return ""
	}

	t.Run("withdrawn issue", func(t *testing.T) {
		clear(records)
		golden.Eq(t, "issued", change(poll(pwnRows(t, fmt.Sprintf(issue, "0")))), alert.ChangeNew)
		got := poll(pwnRows(t, fmt.Sprintf(issue, "1")))[key]
		if got == nil {
			t.Fatal("the withdrawn issue changed nothing: the warning stays in force")
		}
		golden.Eq(t, "withdrawn", got.Change, alert.ChangeCancel)
		golden.Eq(t, "state", got.State, alert.StateEnded)
		golden.Eq(t, "re-poll", len(poll(pwnRows(t, fmt.Sprintf(issue, "1")))), 0)
	})
	t.Run("withdrawn issue never seen", func(t *testing.T) {
		clear(records)
		// Partners may hold it from before a restart: a cancel of a key never
		// seen is published, as for a lift.
		golden.Eq(t, "first poll", change(poll(pwnRows(t, fmt.Sprintf(issue, "1")))), alert.ChangeCancel)
	})
	t.Run("withdrawn change", func(t *testing.T) {
		clear(records)
		golden.Eq(t, "issued", change(poll(pwnRows(t, fmt.Sprintf(issue, "0")))), alert.ChangeNew)
		got := poll(pwnRows(t, fmt.Sprintf(toWarning, "0"), fmt.Sprintf(issue, "0")))[key]
		golden.Eq(t, "경보", got.Event, "폭염경보")
		got = poll(pwnRows(t, fmt.Sprintf(toWarning, "1"), fmt.Sprintf(issue, "0")))[key]
		if got == nil {
			t.Fatal("the withdrawn change changed nothing: the alert stays at 경보")
		}
		golden.Eq(t, "back to 주의보", got.Change, alert.ChangeUpdate)
		golden.Eq(t, "event", got.Event, "폭염주의보")
		golden.Eq(t, "sent: the withdrawal", golden.RFC3339(&got.Sent), "2026-08-01T14:00:00+09:00")
	})
	t.Run("withdrawn lift", func(t *testing.T) {
		clear(records)
		golden.Eq(t, "issued", change(poll(pwnRows(t, fmt.Sprintf(issue, "0")))), alert.ChangeNew)
		golden.Eq(t, "lifted", change(poll(pwnRows(t, fmt.Sprintf(lift, "0"), fmt.Sprintf(issue, "0")))), alert.ChangeCancel)
		got := poll(pwnRows(t, fmt.Sprintf(lift, "1"), fmt.Sprintf(issue, "0")))[key]
		if got == nil {
			t.Fatal("the withdrawn lift changed nothing: the warning stays ended")
		}
		golden.Eq(t, "in force again", got.Change, alert.ChangeNew)
		golden.Eq(t, "state", got.State, alert.StateActive)
	})
	t.Run("withdrawn row never published", func(t *testing.T) {
		clear(records)
		golden.Eq(t, "issued", change(poll(pwnRows(t, fmt.Sprintf(issue, "0")))), alert.ChangeNew)
		// The change comes already withdrawn: the issue stands. It is
		// restated as of the withdrawal, with its effective time its own
		// sent time as published: sent alone moved, which is no change.
		golden.Eq(t, "restated", len(poll(pwnRows(t, fmt.Sprintf(toWarning, "1"), fmt.Sprintf(issue, "0")))), 0)
		golden.Eq(t, "re-poll", len(poll(pwnRows(t, fmt.Sprintf(toWarning, "1"), fmt.Sprintf(issue, "0")))), 0)
	})
}

// TestRetractedIssueText: the cancel of a withdrawn issue does not carry
// the text of the bulletin that announced it ("폭염주의보 발표").
func TestRetractedIssueText(t *testing.T) {
	m := newTestCollector(t, "", "", nil, time.Now()).mapper
	msg := []byte(`{"response":{"header":{"resultCode":"00","resultMsg":"NORMAL_SERVICE"},"body":{"items":{"item":[` +
		`{"stnId":"108","tmFc":202608011100,"tmSeq":10,"t1":"폭염주의보 발표","t2":"(1) 폭염주의보 발표 : 대전","t4":"","other":"o 없음"}]}}}}`)
	res, _, err := m.parse(pwnRows(t, "L1050100 0 1 1 202608011100 10"), msg)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Items) != 1 {
		t.Fatalf("%d items, want the cancel of the withdrawn issue", len(res.Items))
	}
	golden.Eq(t, "headline", res.Items[0].Alert.Headline, "")
	golden.Eq(t, "description", res.Items[0].Alert.Description, "")
}
